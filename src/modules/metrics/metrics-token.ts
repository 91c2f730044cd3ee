import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Does an Authorization header carry exactly `Bearer <token>`? Compared in constant time over
 * fixed-length digests, so neither the token's content nor its length leaks through timing.
 */
export function metricsTokenMatches(header: string | string[] | undefined, token: string): boolean {
  // the scheme is case-insensitive (RFC 9110 §11.1)
  if (typeof header !== 'string' || header.slice(0, 'Bearer '.length).toLowerCase() !== 'bearer ') return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(token));
}
