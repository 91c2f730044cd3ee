var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Inject, Injectable } from '@nestjs/common';
import { LimitsConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { RedisFactory } from '../../redis/redis.factory.js';
import { ALL, InvalidatedCache } from '../../common/cache/invalidated-cache.js';
import { RedisInvalidation } from '../../common/cache/redis-invalidation.js';
export const LIMITS_CACHE_MAX_ORGS = 50_000;
/**
 * Each org's effective limits, keyed by org id, for LIMITS_CACHE_MS. A change publishes the bare
 * org id on `<REDIS_PREFIX>:limits:changed`. While the subscription is down entries are still
 * served (the limiter must not hit the database per request): a change then shows within
 * LIMITS_CACHE_MS, and everything is dropped when the subscription is back.
 */
let LimitsCache = class LimitsCache extends InvalidatedCache {
    constructor(limitsConfig, redisConfig, redis, factory) {
        super(new RedisInvalidation({
            channel: `${redisConfig.prefix}:limits:changed`,
            publisher: redis,
            subscriber: () => factory.subscriber('limits-sub', redis),
            codec: { encode: (t) => (t === ALL ? '' : t), decode: (m) => m || ALL },
        }), { name: 'limits', ttlMs: limitsConfig.cacheMs, maxEntries: LIMITS_CACHE_MAX_ORGS, whenDown: 'ttl' });
    }
};
LimitsCache = __decorate([
    Injectable(),
    __param(0, Inject(LimitsConfig)),
    __param(1, Inject(RedisConfig)),
    __param(2, Inject(REDIS)),
    __metadata("design:paramtypes", [LimitsConfig,
        RedisConfig, Object, RedisFactory])
], LimitsCache);
export { LimitsCache };
//# sourceMappingURL=limits.cache.js.map