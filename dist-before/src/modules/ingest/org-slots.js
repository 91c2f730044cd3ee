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
import { IngestConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
/**
 * Per-org running slots shared by every worker process: one sorted set per org, member = job id,
 * score = lease expiry (Redis server time, so worker clocks do not matter). Taking a slot is one
 * atomic script: drop expired leases, keep a lease this job already holds (a re-run after its
 * worker died takes its own slot back), else add one if fewer than `limit` are held.
 * A crashed worker's lease expires after INGEST_LOCK_MS; running jobs renew theirs.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local interval = tonumber(ARGV[4])
if interval > 0 then
  -- GCRA: the org's theoretical arrival time advances by one interval per start; a start is due
  -- once now reaches it, less the burst tolerance. Refused: how many ms until it is due.
  local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tat < now then tat = now end
  local due = tat - tonumber(ARGV[5])
  if now < due then return -(due - now) end
  redis.call('SET', KEYS[2], tat + interval, 'PX', math.floor(tat + interval - now + 1000))
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1`;
/** Frees the job's slot and pops the first job parked for one (a job id, or nil): one round trip. */
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('LPOP', KEYS[2])`;
let OrgSlots = class OrgSlots {
    constructor(redis, ingestConfig, redisConfig) {
        this.ingestConfig = ingestConfig;
        this.redisConfig = redisConfig;
        // EVALSHA: each take sends the script's digest, not its text (ioredis loads it once per connection).
        if (!('rockerSlotAcquire' in redis)) {
            redis.defineCommand('rockerSlotAcquire', { numberOfKeys: 2, lua: ACQUIRE });
            redis.defineCommand('rockerSlotRelease', { numberOfKeys: 2, lua: RELEASE });
        }
        this.redis = redis;
    }
    /**
     * An org's keys share the hash tag `{ingest:<org>}` (one Redis Cluster slot, as the script needs);
     * a different tag from the limiter's `{<org>}`, so one org's API and job traffic can sit on two masters.
     */
    key(orgId) {
        return `${this.tagOf(orgId)}:slots`;
    }
    tagOf(orgId) {
        return `${this.redisConfig.prefix}:ingest:{ingest:${orgId}}`;
    }
    /**
     * Takes (or renews) this job's slot. A new start also needs the org's start rate (per second,
     * 0 = none) to allow it; a renewal never counts against the rate.
     */
    async acquire(orgId, jobId, limit, rate = this.ingestConfig.orgRate) {
        const interval = rate > 0 ? 1000 / rate : 0;
        const burst = this.ingestConfig.orgRateBurst || rate;
        const tolerance = interval * Math.max(0, burst - 1);
        const r = Number(await this.redis.rockerSlotAcquire(this.key(orgId), this.rateKey(orgId), jobId, limit, this.ingestConfig.lockMs, interval, tolerance));
        if (r === 1)
            return { ok: true };
        if (r === 0)
            return { ok: false, full: true };
        return { ok: false, full: false, waitMs: -r };
    }
    rateKey(orgId) {
        return `${this.tagOf(orgId)}:rate`;
    }
    /** Frees the job's slot; answers the first job parked for one (see park), which the caller wakes. */
    release(orgId, jobId) {
        return this.redis.rockerSlotRelease(this.key(orgId), this.waitKey(orgId), jobId);
    }
    /**
     * A job that found its org full parks itself here (and in BullMQ's delayed set as a fallback);
     * whoever releases a slot wakes the first one at once instead of letting it sleep out its delay.
     */
    async park(orgId, entry) {
        const key = this.waitKey(orgId);
        await this.redis.multi().rpush(key, entry).pexpire(key, this.ingestConfig.lockMs * 2).exec();
    }
    async nextParked(orgId) {
        return this.redis.lpop(this.waitKey(orgId));
    }
    waitKey(orgId) {
        return `${this.tagOf(orgId)}:parked`;
    }
    async held(orgId) {
        return this.redis.zcard(this.key(orgId));
    }
};
OrgSlots = __decorate([
    Injectable(),
    __param(0, Inject(REDIS)),
    __param(1, Inject(IngestConfig)),
    __param(2, Inject(RedisConfig)),
    __metadata("design:paramtypes", [Object, IngestConfig,
        RedisConfig])
], OrgSlots);
export { OrgSlots };
//# sourceMappingURL=org-slots.js.map