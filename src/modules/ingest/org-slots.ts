import { Inject, Injectable } from '@nestjs/common';
import { IngestConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import type { RedisClient } from '../../redis/redis.factory.js';

/** Redis server time in ms as `now`, and the org's slots (KEYS[1]) without their expired leases. */
const LIVE_SLOTS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)`;

/**
 * Per-org running slots shared by every worker process: one sorted set per org, member = job id,
 * score = lease expiry (Redis server time, so worker clocks do not matter). Taking a slot is one
 * atomic script: drop expired leases, keep a lease this job already holds (a re-run after its
 * worker died takes its own slot back), else add one if fewer than `limit` are held.
 * A crashed worker's lease expires after INGEST_LOCK_MS; running jobs renew theirs.
 */
const ACQUIRE = `${LIVE_SLOTS}
local ttl = tonumber(ARGV[3])
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

/** The first parked job (KEYS[2]), taken off: its entry, or false. */
const POP_PARKED = `
local first = redis.call('ZPOPMIN', KEYS[2])
if first[1] then return first[1] end
return false`;

/** Frees the job's slot and pops the first job parked for one (its entry, or nil): one round trip. */
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
${POP_PARKED}`;

/**
 * Parks a job that found its org full, then looks again: a slot released between that job's take
 * and its park popped no one (none was parked then), so if the org now has room the first parked
 * job is popped for the caller to wake. One round trip; the park and the look are one step, so
 * every release either pops this entry or happened before the look. The parked jobs are a sorted
 * set in the order they first parked (NX: a job parking again, each time its fallback delay ends,
 * keeps its place and adds nothing): as a list, every copy waiting for a full org pushed itself
 * again about three times a second, and a cancel/retry storm grew one org's list to 335,000
 * entries in minutes, its expiry renewed by each push (an attack review).
 */
const PARK = `${LIVE_SLOTS}
redis.call('ZADD', KEYS[2], 'NX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
${POP_PARKED}
end
return false`;

type Scripted = RedisClient & {
  rockerSlotAcquire(...args: (string | number)[]): Promise<number>;
  rockerSlotRelease(...args: string[]): Promise<string | null>;
  rockerSlotPark(...args: (string | number)[]): Promise<string | null>;
};

/** What taking a slot answered: taken, the org is full, or the org's start rate says wait `waitMs`. */
export type SlotAnswer = { ok: true } | { ok: false; full: true } | { ok: false; full: false; waitMs: number };

@Injectable()
export class OrgSlots {
  private readonly redis: Scripted;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(IngestConfig) private readonly ingestConfig: IngestConfig,
    @Inject(RedisConfig) private readonly redisConfig: RedisConfig,
  ) {
    // EVALSHA: each take sends the script's digest, not its text (ioredis loads it once per connection).
    if (!('rockerSlotAcquire' in redis)) {
      redis.defineCommand('rockerSlotAcquire', { numberOfKeys: 2, lua: ACQUIRE });
      redis.defineCommand('rockerSlotRelease', { numberOfKeys: 2, lua: RELEASE });
      redis.defineCommand('rockerSlotPark', { numberOfKeys: 2, lua: PARK });
    }
    this.redis = redis as Scripted;
  }

  /**
   * An org's keys share the hash tag `{ingest:<org>}` (one Redis Cluster slot, as the script needs);
   * a different tag from the limiter's `{<org>}`, so one org's API and job traffic can sit on two masters.
   */
  key(orgId: string): string {
    return `${this.tagOf(orgId)}:slots`;
  }

  private tagOf(orgId: string): string {
    return `${this.redisConfig.prefix}:ingest:{ingest:${orgId}}`;
  }

  /**
   * Takes (or renews) this job's slot. A new start also needs the org's start rate (per second,
   * 0 = none) to allow it; a renewal never counts against the rate.
   */
  async acquire(orgId: string, jobId: string, limit: number, rate = this.ingestConfig.orgRate): Promise<SlotAnswer> {
    const interval = rate > 0 ? 1000 / rate : 0;
    const burst = this.ingestConfig.orgRateBurst || rate;
    const tolerance = interval * Math.max(0, burst - 1);
    const r = Number(await this.redis.rockerSlotAcquire(this.key(orgId), this.rateKey(orgId), jobId, limit, this.ingestConfig.lockMs, interval, tolerance));
    if (r === 1) return { ok: true };
    if (r === 0) return { ok: false, full: true };
    return { ok: false, full: false, waitMs: -r };
  }

  private rateKey(orgId: string): string {
    return `${this.tagOf(orgId)}:rate`;
  }

  /** Frees the job's slot; answers the first job parked for one (see park), which the caller wakes. */
  release(orgId: string, jobId: string): Promise<string | null> {
    return this.redis.rockerSlotRelease(this.key(orgId), this.waitKey(orgId), jobId);
  }

  /**
   * A job that found its org full parks itself here, once it is in BullMQ's delayed set (the
   * fallback); whoever releases a slot wakes the first one at once instead of letting it sleep out
   * its delay. Answers the first parked job when the org has room by now (fewer than `limit` slots
   * held: a release came between the take and the park), which the caller wakes (see PARK).
   */
  park(orgId: string, entry: string, limit: number): Promise<string | null> {
    return this.redis.rockerSlotPark(this.key(orgId), this.waitKey(orgId), entry, this.ingestConfig.lockMs * 2, limit);
  }

  /** Takes `entry` off the org's parked jobs (a copy that will not run: see IngestProcessor). */
  async unpark(orgId: string, entry: string): Promise<void> {
    await this.redis.zrem(this.waitKey(orgId), entry);
  }

  async nextParked(orgId: string): Promise<string | null> {
    const [entry] = await this.redis.zpopmin(this.waitKey(orgId));
    return entry ?? null;
  }

  /** The org's parked jobs (a sorted set; `:parked` was a list, which a Redis of that build may still hold until it expires). */
  waitKey(orgId: string): string {
    return `${this.tagOf(orgId)}:waiting`;
  }

  async held(orgId: string): Promise<number> {
    return this.redis.zcard(this.key(orgId));
  }
}
