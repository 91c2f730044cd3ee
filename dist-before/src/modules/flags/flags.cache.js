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
import { RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { RedisFactory } from '../../redis/redis.factory.js';
import { InvalidatedCache } from '../../common/cache/invalidated-cache.js';
import { jsonCodec, RedisInvalidation } from '../../common/cache/redis-invalidation.js';
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
let FlagsCache = class FlagsCache extends InvalidatedCache {
    constructor(redisConfig, redis, factory) {
        super(new RedisInvalidation({
            channel: `${redisConfig.prefix}:flags:invalidate`,
            publisher: redis,
            subscriber: () => factory.subscriber('flags-sub', redis),
            codec: jsonCodec('org'),
        }), { name: 'flags', ttlMs: FLAG_CACHE_TTL_MS, maxEntries: FLAG_CACHE_MAX_ORGS, whenDown: 'bypass' });
    }
};
FlagsCache = __decorate([
    Injectable(),
    __param(0, Inject(RedisConfig)),
    __param(1, Inject(REDIS)),
    __metadata("design:paramtypes", [RedisConfig, Object, RedisFactory])
], FlagsCache);
export { FlagsCache };
//# sourceMappingURL=flags.cache.js.map