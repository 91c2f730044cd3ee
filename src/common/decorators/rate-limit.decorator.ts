import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Rate-limit policies of costly routes; `api` is the general per-org limit. */
export enum RatePolicy {
  Api = 'api',
  Tts = 'tts',
  Embeddings = 'embeddings',
  Crawl = 'crawl',
  Ocr = 'ocr',
}

export const RATE_LIMIT = 'rocker:rate-limit';

export interface RateLimitMeta {
  policy: RatePolicy;
  /** Units this request costs (and meters as usage), e.g. embedding inputs or TTS characters. */
  cost?: (req: FastifyRequest) => number;
}

/** Puts a route under a per-org policy (429 with RateLimit headers past it). */
export const RateLimit = (policy: RatePolicy, cost?: RateLimitMeta['cost']) =>
  SetMetadata(RATE_LIMIT, { policy, cost } satisfies RateLimitMeta);
