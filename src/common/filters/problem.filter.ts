import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { defaultProblem, PROBLEM_BASE, ProblemBody, ProblemException } from './problem.js';
import { logAbandoned } from '../http/access-log.js';

interface Mapped {
  status: number;
  body: ProblemBody;
  headers: Record<string, string>;
}

/**
 * Postgres SQLSTATEs a client can provoke, and what they mean to the client. Only codes that a
 * parameter value can cause: a syntax error, an unknown column, an undeterminable parameter type
 * (42601, 42703, 42P18), and regex or LIKE-escape errors (2201B, 22025: no client text reaches a
 * pattern) are bugs of ours and stay 500.
 */
export const PG_CODES: Record<string, [number, string, string]> = {
  '23505': [409, 'conflict', 'a resource with these values already exists'],
  '23503': [409, 'conflict', 'a referenced resource does not exist or is still referenced'],
  '23514': [422, 'unprocessable-entity', 'a value is outside its allowed range'],
  '23502': [422, 'unprocessable-entity', 'a required value is missing'],
  '22P02': [400, 'bad-request', 'a value has the wrong format'],
  '22001': [422, 'unprocessable-entity', 'a value is too long'],
  '22003': [422, 'unprocessable-entity', 'a number is out of range'],
  '22007': [400, 'bad-request', 'a date has the wrong format'],
  '22008': [400, 'bad-request', 'a date is out of range'],
  '22009': [400, 'bad-request', 'a time zone offset is out of range'],
  '22023': [400, 'bad-request', 'a value is invalid'],
  '2201X': [400, 'bad-request', 'a value is invalid'],
  '22021': [400, 'bad-request', 'a text value contains a byte that is not allowed (e.g. NUL)'],
  '22P05': [400, 'bad-request', 'a text value contains a character that is not allowed'],
  // e.g. a text too long for its tsvector or a search query too large for a tsquery
  '54000': [413, 'payload-too-large', 'a value is too large to store or search'],
  // a write into another org's rows is refused by RLS: answered as absent, never as forbidden
  '42501': [404, 'not-found', 'resource not found'],
  // tenant_begin(): the membership or role changed since this instance cached it
  RKA01: [403, 'forbidden', 'your membership or role in this org has changed'],
  // tenant_begin(): the database refused this process's signed context (a key it does not hold,
  // or a clock far off): the service is misconfigured, nothing the client sent
  RKA02: [503, 'unavailable', 'the service cannot open a database context right now'],
  // org_keep_an_owner(): the change would leave the org without an owner
  RKO01: [409, 'conflict', 'an org keeps at least one owner'],
  // invitation_accept(): no such invitation for you / already used / revoked or expired
  RKI04: [404, 'not-found', 'invitation not found'],
  RKI09: [409, 'conflict', 'the invitation was already accepted, or you are already a member'],
  RKI10: [410, 'gone', 'the invitation was revoked or has expired'],
  '57014': [503, 'unavailable', 'the database took too long'],
  // lock_timeout of the app role: a row this request needs stayed locked by other work
  '55P03': [503, 'unavailable', 'the data is busy; retry shortly'],
  '53300': [503, 'unavailable', 'the database is overloaded'],
  '57P01': [503, 'unavailable', 'the database is restarting'],
};

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  // the router's own refusals, before any route (see frameworkErrors in bootstrap.ts)
  FST_ERR_BAD_URL: [400, 'bad-request', 'the URL is not valid'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri-too-long', 'a path segment is too long'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'this content type is not accepted here'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload-too-large', 'the request body is too large'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'bad-request', 'the JSON body is empty'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad-request', 'the Content-Length header is wrong'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-json', 'the body is not valid JSON'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'unsupported-media-type', 'expected multipart/form-data'],
  FST_REQ_FILE_TOO_LARGE: [413, 'payload-too-large', 'the file is too large'],
  FST_FILES_LIMIT: [413, 'payload-too-large', 'too many files'],
  FST_PARTS_LIMIT: [413, 'payload-too-large', 'too many parts'],
  FST_FIELDS_LIMIT: [413, 'payload-too-large', 'too many fields'],
};

const log = new Logger('ProblemFilter');

export function toProblem(err: unknown, requestId: string | undefined, instance: string | undefined): Mapped {
  const headers: Record<string, string> = {};
  let status = 500;
  let slug: string | undefined;
  let detail = 'an unexpected error occurred';
  let extra: Partial<ProblemBody> = {};
  const e = err as any;

  if (err instanceof ProblemException) {
    status = err.getStatus();
    slug = err.slug;
    detail = err.message;
    extra = err.extra;
    Object.assign(headers, err.headers);
  } else if (err instanceof HttpException) {
    status = err.getStatus();
    const res = err.getResponse();
    detail = typeof res === 'string' ? res : Array.isArray((res as any).message) ? (res as any).message.join('; ') : String((res as any).message ?? err.message);
  } else if (e && typeof e.code === 'string' && FASTIFY_CODES[e.code]) {
    [status, slug, detail] = FASTIFY_CODES[e.code];
  } else if (e && e.driverError?.code && PG_CODES[e.driverError.code]) {
    [status, slug, detail] = PG_CODES[e.driverError.code];
  } else if (e && typeof e.code === 'string' && PG_CODES[e.code] && e.severity) {
    [status, slug, detail] = PG_CODES[e.code];
  } else if (e && (e.code === 'ECONNREFUSED' || e.code === 'ETIMEDOUT' || /Connection terminated|timeout exceeded when trying to connect/i.test(String(e.message)))) {
    status = 503;
    slug = 'unavailable';
    detail = 'a dependency is unavailable; retry shortly';
    headers['Retry-After'] = '5';
  } else if (e && e instanceof SyntaxError && (e as any).statusCode === 400) {
    status = 400;
    slug = 'malformed-json';
    detail = 'the body is not valid JSON';
  } else if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    status = e.statusCode;
    detail = String(e.message ?? 'bad request');
  }

  if (status >= 500 && status !== 503) {
    // Never leak internals to the client; the log keeps the full error with the request id.
    log.error({ err, request_id: requestId }, 'unhandled error');
    detail = 'an unexpected error occurred';
  }
  const base = defaultProblem(status);
  const body: ProblemBody = {
    type: slug ? PROBLEM_BASE + slug : base.type,
    title: base.title,
    status,
    detail,
    instance,
    request_id: requestId,
    ...extra,
  };
  return { status, body, headers };
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (headers or URL too large, a
 * malformed request line, too slow): the raw answer for the socket, as problem+json too.
 */
export function clientErrorResponse(err: { code?: string }): string {
  const [status, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request line or headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, 'the request is malformed'];
  const requestId = randomUUID();
  const body = JSON.stringify({ ...defaultProblem(status), status, detail, request_id: requestId });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Answers `err` as problem+json. A client already gone (a paced hold it left, a body it stopped
 * sending) gets its access line here, `request abandoned` (499): Fastify writes none for an answer
 * that cannot be sent.
 */
export function sendProblem(reply: FastifyReply, req: FastifyRequest, err: unknown): void {
  const { status, body, headers } = toProblem(err, String(req.id), req.url?.split('?')[0]);
  if (reply.raw.destroyed && !reply.sent) logAbandoned(req, reply.elapsedTime);
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy();
    return;
  }
  reply.status(status).headers(headers).header('content-type', 'application/problem+json; charset=utf-8').send(body);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), exception);
  }
}
