import { HttpException } from '@nestjs/common';

export const PROBLEM_BASE = 'https://rocker.dev/problems/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: Record<string, string[]>;
  [extra: string]: unknown;
}

const TITLES: Record<number, [string, string]> = {
  400: ['bad-request', 'Bad Request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not Found'],
  405: ['method-not-allowed', 'Method Not Allowed'],
  406: ['not-acceptable', 'Not Acceptable'],
  408: ['request-timeout', 'Request Timeout'],
  409: ['conflict', 'Conflict'],
  410: ['gone', 'Gone'],
  413: ['payload-too-large', 'Payload Too Large'],
  414: ['uri-too-long', 'URI Too Long'],
  415: ['unsupported-media-type', 'Unsupported Media Type'],
  422: ['unprocessable-entity', 'Unprocessable Entity'],
  429: ['rate-limited', 'Too Many Requests'],
  431: ['headers-too-large', 'Request Header Fields Too Large'],
  500: ['internal', 'Internal Server Error'],
  503: ['unavailable', 'Service Unavailable'],
};

export function defaultProblem(status: number): { type: string; title: string } {
  const [slug, title] = TITLES[status] ?? (status >= 500 ? TITLES[500] : TITLES[400]);
  return { type: PROBLEM_BASE + slug, title };
}

/**
 * A typed, client-facing error. Features throw these (or Nest's HttpExceptions); the
 * ProblemFilter turns both into RFC 9457 problem+json.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    public readonly slug: string | undefined,
    detail: string,
    public readonly extra: Partial<ProblemBody> = {},
    public readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }
}

/** nginx's 499: the client closed the connection while its request was held; nobody reads the answer. */
export const clientGone = () =>
  new ProblemException(499, 'client-closed-request', 'the client closed the connection while the request was held');

export const notFound = (what = 'resource') => new ProblemException(404, 'not-found', `${what} not found`);
export const badRequest = (detail: string, errors?: Record<string, string[]>) =>
  new ProblemException(400, errors ? 'validation' : 'bad-request', detail, errors ? { errors } : {});
export const forbidden = (detail: string) => new ProblemException(403, 'forbidden', detail);
export const unauthorized = (detail: string) =>
  new ProblemException(401, 'unauthorized', detail, {}, { 'WWW-Authenticate': 'Bearer' });
export const conflict = (detail: string) => new ProblemException(409, 'conflict', detail);
