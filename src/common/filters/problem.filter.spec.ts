import { describe, expect, it } from 'vitest';
import { NotFoundException } from '@nestjs/common';
import { clientErrorResponse, PG_CODES, toProblem } from './problem.filter.js';
import { ProblemException } from './problem.js';

describe(toProblem.name, () => {
  it('maps a typed exception with its slug and extras', () => {
    const sut = toProblem(new ProblemException(422, 'ssrf-blocked', 'nope', { errors: { url: ['bad'] } }), 'r1', '/x');
    expect(sut.status).toBe(422);
    expect(sut.body).toMatchObject({ type: 'https://rocker.dev/problems/ssrf-blocked', status: 422, detail: 'nope', request_id: 'r1', instance: '/x', errors: { url: ['bad'] } });
  });

  // Every code a client's values can provoke, with the status it gets.
  it.each([
    ['23505', 409], // unique
    ['23503', 409], // foreign key
    ['23514', 422], // check
    ['23502', 422], // not null
    ['22P02', 400], // invalid text representation
    ['22001', 422], // string too long
    ['22003', 422], // numeric out of range
    ['22007', 400], // datetime format
    ['22008', 400], // datetime out of range
    ['22009', 400], // time zone displacement (a +23:00 offset)
    ['22023', 400], // invalid parameter value
    ['2201X', 400], // offset
    ['22021', 400], // NUL / bad encoding
    ['22P05', 400], // untranslatable character
    ['54000', 413], // program limit (tsvector/tsquery too large)
    ['42501', 404], // RLS refused a write: another org's row
    ['RKA01', 403],
    ['RKO01', 409], // the last owner
    ['RKI04', 404], // invitations
    ['RKI09', 409],
    ['RKI10', 410],
  ])('maps SQLSTATE %s to %i, from TypeORM or from pg directly', (code, status) => {
    expect(toProblem({ driverError: { code } }, 'r', '/').status).toBe(status);
    const sut = toProblem({ code, severity: 'ERROR', message: 'SELECT secret' }, 'r', '/');
    expect(sut.status).toBe(status);
    expect(sut.body.type).toMatch(/^https:\/\/rocker\.dev\/problems\/[a-z-]+$/);
    expect(JSON.stringify(sut.body)).not.toContain('secret');
  });

  it('covers every client-caused code it maps, and nothing else', () => {
    const clientCodes = ['23505', '23503', '23514', '23502', '22P02', '22001', '22003', '22007', '22008', '22009', '22023', '2201X', '22021', '22P05', '54000', '42501', 'RKA01', 'RKO01', 'RKI04', 'RKI09', 'RKI10'];
    const unavailable = Object.entries(PG_CODES).filter(([, [status]]) => status === 503).map(([code]) => code);
    expect(Object.keys(PG_CODES).sort()).toEqual([...clientCodes, ...unavailable].sort());
  });

  // Our bugs, not the client's: they stay 500 and say nothing.
  it.each(['42601', '42703', '42P18', '42883', '2201B', '22025', '22012', '40P01', 'XX000'])('leaves SQLSTATE %s a 500', (code) => {
    const sut = toProblem({ driverError: { code }, message: 'syntax error at SELECT' }, 'r', '/');
    expect(sut.status).toBe(500);
    expect(JSON.stringify(sut.body)).not.toContain('SELECT');
  });

  it('hides internals of unknown errors behind a generic 500', () => {
    const sut = toProblem(new Error('SELECT secret FROM /work/x.ts'), 'r', '/');
    expect(sut.status).toBe(500);
    expect(JSON.stringify(sut.body)).not.toContain('secret');
  });

  it('maps Nest HTTP exceptions and Fastify body errors', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x'), 'r', '/x').status).toBe(404);
    expect(toProblem({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'r', '/').status).toBe(413);
    const long = toProblem({ code: 'FST_ERR_MAX_PARAM_LENGTH', statusCode: 414, message: "'/v1/x/aaaa' is exceeding" }, 'r', '/');
    expect(long).toMatchObject({ status: 414, body: { type: 'https://rocker.dev/problems/uri-too-long', title: 'URI Too Long' } });
    expect(toProblem({ code: 'FST_ERR_BAD_URL', statusCode: 400 }, 'r', '/').status).toBe(400);
  });
});

describe(clientErrorResponse.name, () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408],
    ['HPE_INVALID_METHOD', 400],
  ])('answers %s with a %i problem+json', (code, status) => {
    const [head, body] = clientErrorResponse({ code }).split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toContain('Content-Type: application/problem+json');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toMatchObject({ status, type: expect.stringMatching(/^https:\/\//), request_id: expect.any(String) });
  });
});
