import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Rate-limit policies, one @nestjs/throttler throttler each. `api` is the general per-org limit of
 * every tenant route, `user` the general limit of a caller without any org (keyed by user id, not
 * billed); the others are opt-in per route with @RateLimit.
 */
export enum RatePolicy {
  Api = 'api',
  User = 'user',
  Search = 'search',
  Tts = 'tts',
  Embeddings = 'embeddings',
  Crawl = 'crawl',
  Ocr = 'ocr',
  /** Chunks copied into the marketplace's index by a publish (charged by the market service, not a decorator). */
  Publish = 'publish',
  /**
   * Request bodies, in KiB (every request with a body; its Content-Length, else the most its
   * route accepts): what an org's writes cost the instance to receive, parse and store.
   */
  Bytes = 'bytes',
}

/** The policy every request counts against: `api` for an org, `user` for a caller without one. */
export const GENERAL_POLICIES: readonly RatePolicy[] = [RatePolicy.Api, RatePolicy.User];

export const RATE_LIMIT = 'rocker:rate-limit';

export interface RateLimitMeta {
  policy: RatePolicy;
  /**
   * Units this request costs (and meters as usage): a number when it is known from the route
   * alone (decided before the body is read), or read from the parsed body, e.g. embedding inputs
   * or TTS characters (decided after it). Default 1.
   */
  cost?: number | ((req: FastifyRequest) => number);
}

/**
 * Puts a route under a policy besides the general one (429 with RateLimit headers past it): the
 * policy's throttler skips every route that does not name it here.
 */
export const RateLimit = (policy: RatePolicy, cost?: RateLimitMeta['cost']) =>
  SetMetadata(RATE_LIMIT, { policy, cost } satisfies RateLimitMeta);
