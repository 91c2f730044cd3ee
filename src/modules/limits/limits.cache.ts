import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ENV, type Env } from '../../config/env.js';
import { REDIS, redisOptions } from '../../redis/redis.module.js';
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
  constructor(@Inject(ENV) env: Env, @Inject(REDIS) redis: Redis) {
    super(
      new RedisInvalidation({
        channel: `${env.REDIS_PREFIX}:limits:changed`,
        publisher: redis,
        subscriber: () =>
          new Redis(env.REDIS_URL, {
            ...redisOptions(env),
            connectionName: `rocker-${env.ROCKER_ROLE}-limits-sub`,
          }),
        codec: { encode: (t) => (t === ALL ? '' : t), decode: (m) => m || ALL },
      }),
      { name: 'limits', ttlMs: env.LIMITS_CACHE_MS, maxEntries: LIMITS_CACHE_MAX_ORGS, whenDown: 'ttl' },
    );
  }
}
