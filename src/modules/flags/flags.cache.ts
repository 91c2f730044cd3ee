import { Inject, Injectable } from '@nestjs/common';
import { RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { RedisFactory, type RedisClient } from '../../redis/redis.factory.js';
import { InvalidatedCache } from '../../common/cache/invalidated-cache.js';
import { jsonCodec, RedisInvalidation } from '../../common/cache/redis-invalidation.js';
import type { FlagMap } from './flags.evaluate.js';

/** Safety net only: invalidation is by message; an entry never outlives this. */
export const FLAG_CACHE_TTL_MS = 30_000;
export const FLAG_CACHE_MAX_ORGS = 10_000;

/** Key of the cache entry used when the request has no org. */
export const NO_ORG = '';

/**
 * Each org's effective flags, keyed by org id. Writers publish `{"org": id | null}` on
 * `<REDIS_PREFIX>:flags:invalidate` once their transaction committed. While the subscription is
 * down nothing is cached (every read goes to the database), so a missed message never leaves a
 * stale entry.
 */
@Injectable()
export class FlagsCache extends InvalidatedCache<FlagMap> {
  constructor(
    @Inject(RedisConfig) redisConfig: RedisConfig,
    @Inject(REDIS) redis: RedisClient,
    factory: RedisFactory,
  ) {
    super(
      new RedisInvalidation({
        channel: `${redisConfig.prefix}:flags:invalidate`,
        publisher: redis,
        subscriber: () => factory.subscriber('flags-sub', redis),
        codec: jsonCodec('org'),
      }),
      { name: 'flags', ttlMs: FLAG_CACHE_TTL_MS, maxEntries: FLAG_CACHE_MAX_ORGS, whenDown: 'bypass' },
    );
  }
}
