import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisClient } from '../../redis/redis.factory.js';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LimitsConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { rateLimitFallback, rateLimitInstances } from '../../common/metrics/metrics.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { GCRA_EPSILON_MS, bucketOf, stateOf, take, type Bucket, type BucketState } from './gcra.js';
import { RatePlan, type RateOutcome, type Verdict } from './rate-decision.js';
import { TurnBatcher } from './turn-batch.js';

/**
 * Every check of a request in one atomic script: the token buckets (GCRA: the stored value is the
 * bucket's TAT in ms on Redis's clock), the monthly quota (re-seeded from the durable figure when
 * its counter is missing), an in-flight slot, and the admitted usage. Nothing is consumed unless
 * everything enforced fits. One call decides several requests of one tracker, one after the other
 * (those that arrived while its previous call was out, or in the same event-loop turn:
 * TurnBatcher), so every key shares the tracker's hash tag (one slot).
 * KEYS: per request: buckets..., [quota], [slots], [pending usage]
 * ARGV: p, then per request: its key count, its argument count, and its arguments: n,
 *       (cost, interval, tolerance, dry)×n, quota?(cost, limit, seed, ttl), slot?(limit, lease, id),
 *       m, (field, amount)×m
 * Returns one answer per request: {'seed'} when the quota counter is missing and no seed was given;
 * else {ok, quota used, slot refused, usage fresh, (tat − now, fits)×n}.
 */
const DECIDE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local function decide(KEYS, ARGV)
local n = tonumber(ARGV[1])
local a, k, ok = 2, 1, 1
local tat, nxt, fits = {}, {}, {}
for i = 1, n do
  local cost, T, tau, dry = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3] == '1'
  a = a + 4
  local v = tonumber(redis.call('GET', KEYS[k]) or '0')
  if v < now then v = now end
  tat[i] = v
  nxt[i] = v + cost * T
  fits[i] = nxt[i] - tau - now <= ${GCRA_EPSILON_MS}
  if not fits[i] then
    if dry then nxt[i] = math.max(v, now + tau) else ok = 0 end
  end
  k = k + 1
end
local qkey, qused, qcost, qttl = nil, -1, 0, 0
if ARGV[a] == '1' then
  qkey = KEYS[k]
  k = k + 1
  qcost = tonumber(ARGV[a + 1])
  local limit, seed = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  qttl = tonumber(ARGV[a + 4])
  local cur = redis.call('GET', qkey)
  if not cur and seed < 0 then return {'seed'} end
  qused = math.max(tonumber(cur or '0'), seed)
  if qused + qcost > limit then ok = 0 end
  a = a + 5
else
  a = a + 1
end
local skey, sover, lease, sid = nil, 0, 0, nil
if ARGV[a] == '1' then
  skey = KEYS[k]
  k = k + 1
  lease, sid = tonumber(ARGV[a + 2]), ARGV[a + 3]
  if ok == 1 then
    redis.call('ZREMRANGEBYSCORE', skey, '-inf', now)
    if redis.call('ZCARD', skey) >= tonumber(ARGV[a + 1]) then ok = 0; sover = 1 end
  end
  a = a + 4
else
  a = a + 1
end
local m, fresh = tonumber(ARGV[a]), 0
if ok == 1 then
  for i = 1, n do
    redis.call('SET', KEYS[i], string.format('%.3f', nxt[i]), 'PX', math.ceil(nxt[i] - now) + 1)
    tat[i] = nxt[i]
  end
  if qkey then
    qused = qused + qcost
    redis.call('SET', qkey, qused, 'PX', qttl)
  end
  if skey then
    redis.call('ZADD', skey, now + lease, sid)
    redis.call('PEXPIRE', skey, lease)
  end
  if m > 0 then
    if redis.call('EXISTS', KEYS[k]) == 0 then fresh = 1 end
    for j = 1, m do redis.call('HINCRBY', KEYS[k], ARGV[a + 2 * j - 1], tonumber(ARGV[a + 2 * j])) end
  end
end
local out = {ok, qused, sover, fresh}
for i = 1, n do
  out[#out + 1] = string.format('%.4f', tat[i] - now)
  out[#out + 1] = fits[i] and 1 or 0
end
return out
end
local answers, k, a = {}, 1, 2
for p = 1, tonumber(ARGV[1]) do
  local nk, na = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local keys, args = {}, {}
  for i = 1, nk do keys[i] = KEYS[k + i - 1] end
  for i = 1, na do args[i] = ARGV[a + 1 + i] end
  answers[p] = decide(keys, args)
  k, a = k + nk, a + 2 + na
end
return answers
`;

/** A bucket after a debit: the one applied (on the fallback, this instance's share) and its state. */
export interface Debited {
  bucket: Bucket;
  limit: number;
  burst: number;
  state: BucketState;
}

/** Usage known only after the request: into the pending hash, and the month's counter if it exists. */
const METER_LUA = `
local fresh = redis.call('EXISTS', KEYS[1]) == 0 and 1 or 0
redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('INCRBY', KEYS[2], tonumber(ARGV[2])) end
return fresh
`;

/**
 * Work already done, charged afterwards (a PDF's pages, known once it is parsed): the bucket's TAT
 * moves on by the cost whether or not it fits, so the org's next requests wait until it is repaid.
 * KEYS: bucket; ARGV: cost × interval (ms). Answers the new TAT relative to now (ms).
 */
const DEBIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v < now then v = now end
local nxt = v + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now) + 1)
return string.format('%.4f', nxt - now)
`;

/** Moves an org's pending usage aside atomically, so the flush owns exactly what it read. */
const DRAIN_LUA = `
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return v
`;

/** This instance is alive for another `ttl` ms; answers how many are (Redis's clock). */
const HEARTBEAT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
`;

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** One request's answer from DECIDE_LUA. */
type DecideAnswer = (string | number)[];
/** One request's part of a DECIDE_LUA call. */
interface ScriptCall {
  keys: string[];
  argv: (string | number)[];
}
/** Requests decided in one script call at most (a longer script would hold Redis from other clients). */
const DECISIONS_PER_CALL = 64;
/** A key's Redis Cluster hash tag (`{tracker}`): keys with the same one share a slot. */
const hashTagOf = (key: string) => {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
};

type Scripted = RedisClient & {
  rockerRlDecide(...args: (string | number)[]): Promise<DecideAnswer[]>;
  rockerRlMeter(...args: (string | number)[]): Promise<number>;
  rockerRlBeat(...args: (string | number)[]): Promise<number>;
  rockerRlDebit(key: string, ms: number): Promise<string>;
  rockerUsageDrain(key: string): Promise<string[]>;
  rockerJobCharged(key: string, units: number, ttlMs: number): Promise<number>;
};

class RedisDown extends Error {}

/** How often an instance says it is alive, and how long that lasts without a renewal. */
export const HEARTBEAT_MS = 2000;
const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_MS;

/**
 * "Refused until t" per bucket, on this instance: a bucket's TAT only grows while it lives, so a
 * request the memo refuses would be refused by Redis too, and a flood's 429s cost no round trip.
 */
class RefusalMemo {
  private readonly entries = new Map<string, { tat: number; bucket: Bucket }>();

  /** The outcome of the first enforced bucket the memo refuses, with its (true) state. */
  refusal(plan: RatePlan, now: number): RateOutcome | undefined {
    for (const c of plan.rates) {
      const e = c.dryRun ? undefined : this.entries.get(c.key);
      if (!e) continue;
      const bucket = bucketOf(c.limit, c.windowS * 1000, c.burst);
      if (bucket.intervalMs !== e.bucket.intervalMs || bucket.toleranceMs !== e.bucket.toleranceMs) continue;
      const state = stateOf(bucket, e.tat - now, c.cost);
      if (state.retryMs > 0) return { check: c, bucket, limit: c.limit, burst: c.burst, fits: false, state };
    }
    return undefined;
  }

  /** Remembers the buckets a decision left empty (or too low for its request). */
  record(v: Verdict, now: number): void {
    for (const o of v.rates) {
      if (o.check.dryRun) continue;
      if (o.state.remaining === 0 || !o.fits)
        this.entries.set(o.check.key, { tat: now + o.state.resetMs, bucket: o.bucket });
      else this.entries.delete(o.check.key);
    }
    if (this.entries.size > 50_000)
      for (const [k, e] of this.entries) if (e.tat <= now) this.entries.delete(k);
  }
}

/** KEYS[1]: what a job generation was charged; raised to ARGV[1] (kept ARGV[2] ms). Answers what it was. */
const CHARGED_UP_TO = `
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > before then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return before`;

/**
 * The limiter's storage (@nestjs/throttler's ThrottlerStorage, extended with costs, quotas, slots
 * and several buckets per decision): Redis shared by every instance, keys under REDIS_PREFIX
 * hash-tagged by tracker (org or user), never by IP. While Redis is unreachable or slower than
 * RATE_LIMIT_REDIS_TIMEOUT_MS it decides from per-instance memory, each limit divided by the
 * number of live instances (learnt from heartbeats while Redis was up), and raises
 * rocker_ratelimit_fallback_active.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log = new Logger(RateLimitStorage.name);
  private readonly redis: Scripted;
  private readonly prefix: string;
  private readonly id = randomUUID();
  private readonly memo = new RefusalMemo();
  private readonly decisions = new TurnBatcher<ScriptCall, DecideAnswer>((calls) => this.decideMany(calls), DECISIONS_PER_CALL);
  /** The paced waits in progress (ended at shutdown). */
  private readonly holds = new Set<AbortController>();
  private closed = false;
  /** Fallback buckets: key → TAT on this instance's clock. */
  private readonly local = new Map<string, number>();
  private readonly localQuota = new Map<string, number>();
  private readonly lastQuota = new Map<string, number>();
  private readonly localSlots = new Map<string, Set<string>>();
  /** Usage admitted on the fallback, flushed to Postgres directly. */
  private readonly localUsage = new Map<string, Map<string, number>>();
  /** Orgs this instance metered since its last flush (beside the shared dirty set). */
  private readonly metered = new Set<string>();
  private liveInstances = 1;
  private heartbeat?: NodeJS.Timeout;
  private fallback = false;
  private retryRedisAt = 0;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(LimitsConfig) private readonly limitsConfig: LimitsConfig,
    @Inject(RedisConfig) redisConfig: RedisConfig,
  ) {
    this.prefix = `${redisConfig.prefix}:rl`;
    this.redis = redis as Scripted;
    if (!('rockerRlDecide' in redis)) {
      redis.defineCommand('rockerRlDecide', { lua: DECIDE_LUA });
      redis.defineCommand('rockerRlMeter', { numberOfKeys: 2, lua: METER_LUA });
      redis.defineCommand('rockerRlBeat', { numberOfKeys: 1, lua: HEARTBEAT_LUA });
      redis.defineCommand('rockerRlDebit', { numberOfKeys: 1, lua: DEBIT_LUA });
      redis.defineCommand('rockerUsageDrain', { numberOfKeys: 1, lua: DRAIN_LUA });
      redis.defineCommand('rockerJobCharged', { numberOfKeys: 1, lua: CHARGED_UP_TO });
    }
    rateLimitFallback.set(0);
  }

  // ---- keys: `{tracker}` is the Redis Cluster hash tag, so one decision's keys share a slot ----
  bucketKey(tracker: string, policy: string): string {
    return `${this.prefix}:{${tracker}}:${policy}`;
  }
  quotaKey(orgId: string, unit: string, month: string): string {
    return `${this.prefix}:{${orgId}}:q:${unit}:${month}`;
  }
  slotsKey(tracker: string, policy: string): string {
    return `${this.prefix}:{${tracker}}:c:${policy}`;
  }
  pendingKey(orgId: string): string {
    return `${this.prefix}:{${orgId}}:u`;
  }
  private spentKey(orgId: string, work: string): string {
    return `${this.prefix}:{${orgId}}:s:${work}`;
  }

  /**
   * Raises what `work` of the org has been charged to `units` (kept `ttlMs`), answering what it was
   * before (0 when Redis cannot say: a charge twice rather than none).
   */
  async chargedUpTo(orgId: string, work: string, units: number, ttlMs: number): Promise<number> {
    try {
      return Number(await this.redis.rockerJobCharged(this.spentKey(orgId, work), units, ttlMs));
    } catch {
      return 0;
    }
  }
  private dirtyKey(): string {
    return `${this.prefix}:u:dirty`;
  }
  private instancesKey(): string {
    return `${this.prefix}:instances`;
  }

  get onFallback(): boolean {
    return this.fallback;
  }

  /** Instances alive at the last heartbeat (the fallback's divisor). */
  get instances(): number {
    return this.liveInstances;
  }

  /** The refusal this instance's memo already knows for the plan (no Redis call), if any. */
  memoRefusal(plan: RatePlan): RateOutcome | undefined {
    return this.memo.refusal(plan, Date.now());
  }

  /**
   * Paced refusals (RATE_LIMIT_REFUSAL_PACE_MS): when the memo refuses the plan (`refused`, from
   * memoRefusal), waits min(pace, the wait for the token) plus a little jitter (at most a tenth of
   * it, at most 50 ms, so the requests of one bucket do not all wake at once), or until `hold` is
   * aborted (the caller's: its client went away) or the instance shuts down (which aborts every
   * hold in progress). The caller then decides the request
   * as usual: one the bucket admits by then passes. A client that answers each 429 with another
   * request at once (a closed loop) is slowed to the pace per connection, on this instance's timers
   * rather than its event loop. Only the HTTP limiter paces (RateLimitGuard.hold), before
   * admission; charges and the authentication-failure limiter decide without waiting.
   */
  async pace(refused: RateOutcome, hold: AbortController): Promise<void> {
    const pace = this.limitsConfig.refusalPaceMs;
    if (pace <= 0 || hold.signal.aborted || this.closed) return;
    const base = Math.min(pace, Math.max(1, Math.ceil(refused.state.retryMs)));
    const ms = base + Math.random() * Math.min(base / 10, 50);
    // kept only while it waits (never AbortSignal.any with a process-long signal: each call would
    // leave that signal an entry for good)
    this.holds.add(hold);
    try {
      await sleep(ms, undefined, { signal: hold.signal }).catch(() => undefined);
    } finally {
      this.holds.delete(hold);
    }
  }

  /** Requests held right now by this instance (RateLimitGuard.hold). */
  get held(): number {
    return this.holds.size;
  }

  /** Ends every paced wait at once (the HTTP server is about to close and waits for its requests). */
  beforeApplicationShutdown(): void {
    this.closed = true;
    for (const h of this.holds) h.abort();
  }

  /**
   * Decides a request: refused from the memo without a round trip, else one script call, else (Redis
   * unreachable or slow) in memory. `seed` loads the month-to-date usage from Postgres when the
   * quota counter is missing (Redis lost its data).
   */
  async decide(plan: RatePlan, seed?: () => Promise<number>): Promise<Verdict> {
    const memo = this.memoRefusal(plan);
    if (memo) return { admitted: false, rates: [memo], slotRefused: false, memo: true };
    if (Date.now() >= this.retryRedisAt) {
      try {
        let v = await this.decideInRedis(plan);
        if (v === 'seed' && plan.quota) {
          const durable = await seed?.().catch(() => undefined);
          if (durable === undefined) return this.decideInMemory(plan);
          plan.quota.seed = durable;
          v = await this.decideInRedis(plan);
        }
        if (v !== 'seed') {
          this.redisBack();
          this.memo.record(v, Date.now());
          return v;
        }
      } catch (e) {
        this.redisDown(e);
      }
    }
    return this.decideInMemory(plan);
  }

  private async decideInRedis(plan: RatePlan): Promise<Verdict | 'seed'> {
    const keys: string[] = plan.rates.map((c) => c.key);
    const argv: (string | number)[] = [plan.rates.length];
    const buckets = plan.rates.map((c) => bucketOf(c.limit, c.windowS * 1000, c.burst));
    plan.rates.forEach((c, i) =>
      argv.push(c.cost, buckets[i].intervalMs, buckets[i].toleranceMs, c.dryRun ? '1' : '0'),
    );
    const q = plan.quota;
    if (q) {
      keys.push(q.key);
      argv.push('1', q.cost, q.limit, q.seed ?? -1, Math.max(1, Math.ceil(q.ttlMs)));
    } else argv.push('0');
    const s = plan.slot;
    if (s) {
      keys.push(s.key);
      argv.push('1', s.limit, s.leaseMs, s.id);
    } else argv.push('0');
    const m = plan.metering;
    if (m?.entries.length) {
      keys.push(m.key);
      argv.push(m.entries.length, ...m.entries.flat());
    } else argv.push(0);

    // with the tracker's other decisions of the moment (same hash tag): one script call for them all
    const raw = await this.decisions.add(hashTagOf(keys[0] ?? ''), { keys, argv });
    if (raw[0] === 'seed') return 'seed';
    const admitted = raw[0] === 1;
    if (admitted && m && raw[3] === 1) this.markDirty(m.orgId);
    else if (admitted && m) this.metered.add(m.orgId);
    if (q) this.lastQuota.set(q.key, Number(raw[1]));
    return {
      admitted,
      rates: plan.rates.map((c, i) => {
        const tatMs = Number(raw[4 + 2 * i]);
        const bucket = buckets[i];
        return {
          check: c,
          bucket,
          limit: c.limit,
          burst: c.burst,
          fits: raw[5 + 2 * i] === 1,
          state: stateOf(bucket, tatMs, c.cost),
        };
      }),
      quota: q && {
        used: Number(raw[1]),
        over: Number(raw[1]) + (admitted ? 0 : q.cost) > q.limit,
        resetMs: q.ttlMs,
      },
      slotRefused: raw[2] === 1,
    };
  }

  /** Several requests' decisions in one script call (DECIDE_LUA), one answer each. */
  private decideMany(calls: ScriptCall[]): Promise<DecideAnswer[]> {
    const keys: string[] = [];
    const argv: (string | number)[] = [calls.length];
    for (const c of calls) {
      keys.push(...c.keys);
      argv.push(c.keys.length, c.argv.length, ...c.argv);
    }
    return this.withTimeout(this.redis.rockerRlDecide(keys.length, ...keys, ...argv));
  }

  /** Per-instance decision at limit / live instances (never unlimited). */
  private decideInMemory(plan: RatePlan): Verdict {
    const n = this.liveInstances;
    const now = Date.now();
    const share = (x: number) => Math.max(1, Math.floor(x / n));
    const rates = plan.rates.map((c) => {
      const limit = share(c.limit);
      const burst = share(c.burst);
      const bucket = bucketOf(limit, c.windowS * 1000, burst);
      const tatMs = (this.local.get(c.key) ?? now) - now;
      return { c, limit, burst, bucket, tatMs, took: take(bucket, tatMs, c.cost) };
    });
    let ok = rates.every((r) => r.took.fits || r.c.dryRun);
    const q = plan.quota;
    let quota: Verdict['quota'];
    if (q) {
      const base = this.lastQuota.get(q.key) ?? q.seed ?? 0;
      const used = this.localQuota.get(q.key) ?? 0;
      const over = used + q.cost > Math.floor((q.limit - base) / n);
      if (over) ok = false;
      quota = { used: base + used, over, resetMs: q.ttlMs };
    }
    let slotRefused = false;
    const s = plan.slot;
    const slots = s && (this.localSlots.get(s.key) ?? new Set<string>());
    if (ok && s && slots!.size >= share(s.limit)) {
      ok = false;
      slotRefused = true;
    }
    if (ok) {
      for (const r of rates) {
        const tat = r.took.fits ? r.took.tatMs : Math.max(r.tatMs, r.bucket.toleranceMs);
        this.local.set(r.c.key, now + tat);
        r.tatMs = tat;
      }
      if (q) {
        this.localQuota.set(q.key, (this.localQuota.get(q.key) ?? 0) + q.cost);
        quota!.used += q.cost;
      }
      if (s && slots) this.localSlots.set(s.key, slots.add(s.id));
      if (plan.metering) {
        const m = this.localUsage.get(plan.metering.orgId) ?? new Map<string, number>();
        for (const [f, amount] of plan.metering.entries) m.set(f, (m.get(f) ?? 0) + amount);
        this.localUsage.set(plan.metering.orgId, m);
      }
    }
    if (this.local.size > 100_000) for (const [k, tat] of this.local) if (tat <= now) this.local.delete(k);
    return {
      admitted: ok,
      fallback: { instances: n },
      slotRefused,
      quota,
      rates: rates.map((r) => ({
        check: r.c,
        bucket: r.bucket,
        limit: r.limit,
        burst: r.burst,
        fits: r.took.fits,
        state: stateOf(r.bucket, r.tatMs, r.c.cost),
      })),
    };
  }

  /**
   * Takes `cost` from a bucket that is not asked first: the work was done already. The bucket may
   * go into debt (its next requests wait until it is repaid). On the fallback, this instance's bucket.
   */
  async debit(check: { key: string; cost: number; limit: number; windowS: number; burst: number }): Promise<Debited> {
    const share = Math.max(1, this.fallback ? this.liveInstances : 1);
    const limit = Math.max(1, Math.floor(check.limit / share));
    const burst = Math.max(1, Math.floor(check.burst / share));
    const bucket = bucketOf(limit, check.windowS * 1000, burst);
    const ms = check.cost * bucket.intervalMs;
    if (!this.fallback) {
      try {
        const tatMs = Number(await this.withTimeout(this.redis.rockerRlDebit(check.key, ms)));
        return { bucket, limit, burst, state: stateOf(bucket, tatMs, 1) };
      } catch (e) {
        this.redisDown(e);
      }
    }
    const now = Date.now();
    const tat = Math.max(this.local.get(check.key) ?? now, now) + ms;
    this.local.set(check.key, tat);
    return { bucket, limit, burst, state: stateOf(bucket, tat - now, 1) };
  }

  /** Frees an in-flight slot (the lease expires on its own if this fails). */
  async releaseSlot(key: string, id: string): Promise<void> {
    if (this.localSlots.get(key)?.delete(id)) return;
    await this.withTimeout(this.redis.zrem(key, id)).catch(() => undefined);
  }

  /**
   * ThrottlerStorage: one hit on a bucket of `limit` per `ttl` ms whose burst is the limit (the
   * guard itself decides whole plans with `decide`).
   */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    _block: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const v = await this.decide(this.onePlan(key, ttl, limit, name));
    const { state } = v.rates[0];
    return {
      totalHits: limit - state.remaining,
      timeToExpire: Math.ceil(state.resetMs / 1000),
      isBlocked: !v.admitted,
      timeToBlockExpire: v.admitted ? 0 : Math.max(1, Math.ceil(state.retryMs / 1000)),
    };
  }

  /** The memo's refusal (no Redis call) of the bucket `increment` would hit with the same arguments. */
  memoRefusalOf(key: string, ttl: number, limit: number, name: string): RateOutcome | undefined {
    return this.memoRefusal(this.onePlan(key, ttl, limit, name));
  }

  /** One bucket of `limit` per `ttl` ms whose burst is the limit, hit once (ThrottlerStorage's shape). */
  private onePlan(key: string, ttl: number, limit: number, name: string): RatePlan {
    const plan = new RatePlan(key, name as RatePolicy, 1);
    plan.rates.push({
      policy: name as RatePolicy,
      key: this.bucketKey(key, name),
      cost: 1,
      limit,
      windowS: ttl / 1000,
      burst: limit,
      dryRun: false,
    });
    return plan;
  }

  // ---- live instances (the fallback's divisor) ----

  /** Starts this instance's heartbeat; the count of live instances is read with each beat. */
  startHeartbeat(): void {
    if (this.heartbeat) return;
    const beat = async () => {
      try {
        const n = await this.withTimeout(
          this.redis.rockerRlBeat(this.instancesKey(), this.id, HEARTBEAT_TTL_MS),
        );
        this.liveInstances = Math.max(1, Number(n));
        rateLimitInstances.set(this.liveInstances);
      } catch {
        // Redis down: keep the last count, which is what the fallback needs
      }
    };
    void beat();
    this.heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.heartbeat) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.withTimeout(this.redis.zrem(this.instancesKey(), this.id)).catch(() => undefined);
  }

  // ---- usage (pending in Redis until flushed to Postgres) ----

  /** Meters usage without a decision (known after the request); counts against the month's quota too. */
  async meter(orgId: string, field: string, amount: number, quotaKey: string): Promise<void> {
    try {
      const fresh = await this.withTimeout(
        this.redis.rockerRlMeter(this.pendingKey(orgId), quotaKey, field, amount),
      );
      if (fresh === 1) this.markDirty(orgId);
      else this.metered.add(orgId);
    } catch {
      this.restore(orgId, new Map([[field, amount]]));
    }
  }

  /** This month's metered usage of `unit` by the org as Redis counts it; null when the counter is gone or Redis is unreachable. */
  async quotaUsed(orgId: string, unit: string, month: string): Promise<number | null> {
    try {
      const v = await this.withTimeout(this.redis.get(this.quotaKey(orgId, unit, month)));
      return v === null ? null : Number(v);
    } catch {
      return null;
    }
  }

  /** Orgs with usage waiting to be flushed. */
  async dirtyOrgs(): Promise<string[]> {
    const local = [...this.localUsage.keys(), ...this.metered];
    this.metered.clear();
    try {
      return [...new Set([...local, ...(await this.withTimeout(this.redis.smembers(this.dirtyKey())))])];
    } catch {
      return [...new Set(local)];
    }
  }

  /** Takes (and removes) an org's pending usage: `day|unit` → amount. */
  async drain(orgId: string): Promise<Map<string, number>> {
    const out = new Map(this.localUsage.get(orgId) ?? []);
    this.localUsage.delete(orgId);
    try {
      await this.withTimeout(this.redis.srem(this.dirtyKey(), orgId));
      const flat = await this.withTimeout(this.redis.rockerUsageDrain(this.pendingKey(orgId)));
      for (let i = 0; i < flat.length; i += 2)
        out.set(flat[i], (out.get(flat[i]) ?? 0) + Number(flat[i + 1]));
    } catch {
      this.metered.add(orgId); // Redis down: its pending usage stays there for a later flush
    }
    return out;
  }

  /** Puts usage back after a failed flush (Postgres down), so it is not lost. */
  restore(orgId: string, entries: Map<string, number>): void {
    const m = this.localUsage.get(orgId) ?? new Map<string, number>();
    for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
    this.localUsage.set(orgId, m);
  }

  /** Not yet flushed usage of one org (Redis and this instance's memory). */
  async pending(orgId: string): Promise<Map<string, number>> {
    const out = new Map(this.localUsage.get(orgId) ?? []);
    try {
      const h = await this.withTimeout(this.redis.hgetall(this.pendingKey(orgId)));
      for (const [k, v] of Object.entries(h)) out.set(k, (out.get(k) ?? 0) + Number(v));
    } catch {
      // Redis down: only what this instance holds
    }
    return out;
  }

  /** Off the decision's path: the shared set lets any instance flush an org whose metering instance died. */
  private markDirty(orgId: string): void {
    this.metered.add(orgId);
    void this.withTimeout(this.redis.sadd(this.dirtyKey(), orgId)).catch(() => undefined);
  }

  // ---- Redis health ----

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisDown('redis timeout')),
          this.limitsConfig.redisTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private redisDown(e: unknown): void {
    this.retryRedisAt = Date.now() + 1000;
    if (!this.fallback) {
      this.fallback = true;
      rateLimitFallback.set(1);
      this.log.warn(
        `Redis unreachable (${(e as Error)?.message ?? e}): limiting per instance at limit/${this.liveInstances} (live instances)`,
      );
    }
  }

  private redisBack(): void {
    if (this.fallback) {
      this.fallback = false;
      rateLimitFallback.set(0);
      this.local.clear();
      this.localQuota.clear();
      this.log.log('Redis reachable again: shared limits restored');
    }
  }
}
