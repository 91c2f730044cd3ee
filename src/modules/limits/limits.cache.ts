import { Inject, Injectable } from '@nestjs/common';
import { LimitsConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { RedisFactory, type RedisClient } from '../../redis/redis.factory.js';
import { ALL, InvalidatedCache } from '../../common/cache/invalidated-cache.js';
import { RedisInvalidation } from '../../common/cache/redis-invalidation.js';
import type { EffectiveLimits } from './limits.types.js';

export const LIMITS_CACHE_MAX_ORGS = 50_000;

/**
 * Each org's effective limits, keyed by org id, for LIMITS_CACHE_MS. A change publishes the bare
 * org id on `<REDIS_PREFIX>:limits:changed`. While the subscription is down entries are still
 * served (the limiter must not hit the database per request): a change then shows within
 * LIMITS_CACHE_MS, and everything is dropped when the subscription is back.
 */
@Injectable()
export class LimitsCache extends InvalidatedCache<EffectiveLimits> {
  constructor(
    @Inject(LimitsConfig) limitsConfig: LimitsConfig,
    @Inject(RedisConfig) redisConfig: RedisConfig,
    @Inject(REDIS) redis: RedisClient,
    factory: RedisFactory,
  ) {
    super(
      new RedisInvalidation({
        channel: `${redisConfig.prefix}:limits:changed`,
        publisher: redis,
        subscriber: () => factory.subscriber('limits-sub', redis),
        codec: { encode: (t) => (t === ALL ? '' : t), decode: (m) => m || ALL },
      }),
      { name: 'limits', ttlMs: limitsConfig.cacheMs, maxEntries: LIMITS_CACHE_MAX_ORGS, whenDown: 'ttl' },
    );
  }
}
