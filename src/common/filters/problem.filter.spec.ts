import { describe, expect, it } from 'vitest';
import { NotFoundException } from '@nestjs/common';
import { toProblem } from './problem.filter.js';
import { ProblemException } from './problem.js';

describe(toProblem.name, () => {
  it('maps a typed exception with its slug and extras', () => {
    const sut = toProblem(new ProblemException(422, 'ssrf-blocked', 'nope', { errors: { url: ['bad'] } }), 'r1', '/x');
    expect(sut.status).toBe(422);
    expect(sut.body).toMatchObject({ type: 'https://rocker.dev/problems/ssrf-blocked', status: 422, detail: 'nope', request_id: 'r1', instance: '/x', errors: { url: ['bad'] } });
  });

  it.each([
    ['23505', 409],
    ['22P02', 400],
    ['42501', 404],
    ['22021', 400],
    ['23514', 422],
  ])('maps SQLSTATE %s to %i', (code, status) => {
    expect(toProblem({ driverError: { code } }, 'r', '/').status).toBe(status);
  });

  it('hides internals of unknown errors behind a generic 500', () => {
    const sut = toProblem(new Error('SELECT secret FROM /work/x.ts'), 'r', '/');
    expect(sut.status).toBe(500);
    expect(JSON.stringify(sut.body)).not.toContain('secret');
  });

  it('maps Nest HTTP exceptions and Fastify body errors', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x'), 'r', '/x').status).toBe(404);
    expect(toProblem({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'r', '/').status).toBe(413);
  });
});
