import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { ENV, type Env } from '../../config/env.js';
import { REDIS } from '../../redis/redis.module.js';
import { rateLimitFallback } from '../../common/metrics/metrics.js';
import type { UsageUnit } from './limits.types.js';

/** One counter a request must fit under (a per-minute policy or a monthly quota). */
export interface LimitCheck {
  key: string;
  cost: number;
  limit: number;
  windowMs: number;
  dryRun: boolean;
}

export interface CheckResult {
  /** Units used in the window after this decision (before it, when refused). */
  used: number;
  /** Milliseconds until the window resets. */
  ttlMs: number;
  /** The request did not fit (refused unless dry-run). */
  over: boolean;
  /** The limit the decision applied (limit / instances on the fallback). */
  limit: number;
}

export interface Decision {
  admitted: boolean;
  checks: CheckResult[];
  fallback: boolean;
}

export interface UsageIncrement {
  orgId: string;
  day: string;
  unit: UsageUnit;
  amount: number;
}

/**
 * All checks of one request and its usage metering in one atomic script, one round trip.
 * Fixed windows anchored at their first hit (the key expires window_ms after it). Nothing is
 * consumed unless every non-dry-run check fits, so a refused batch does not burn the budget.
 * KEYS: check counters..., usage pending hash, dirty-org set. ARGV: n, (cost, limit, window_ms,
 * dry)×n, org_id, m, (field, amount)×m.
 */
const DECIDE_LUA = `
local n = tonumber(ARGV[1])
local out = {1}
local ok = 1
for i = 1, n do
  local b = 1 + (i - 1) * 4
  local cost = tonumber(ARGV[b + 1])
  local limit = tonumber(ARGV[b + 2])
  local ttl = redis.call('PTTL', KEYS[i])
  local used = 0
  if ttl > 0 then used = tonumber(redis.call('GET', KEYS[i]) or '0') else ttl = tonumber(ARGV[b + 3]) end
  local over = 0
  if used + cost > limit then
    over = 1
    if ARGV[b + 4] ~= '1' then ok = 0 end
  end
  out[#out + 1] = used
  out[#out + 1] = ttl
  out[#out + 1] = over
end
out[1] = ok
if ok == 1 then
  for i = 1, n do
    local b = 1 + (i - 1) * 4
    local cost = tonumber(ARGV[b + 1])
    if redis.call('PTTL', KEYS[i]) > 0 then
      redis.call('INCRBY', KEYS[i], cost)
    else
      redis.call('SET', KEYS[i], cost, 'PX', tonumber(ARGV[b + 3]))
    end
    out[2 + (i - 1) * 3] = out[2 + (i - 1) * 3] + cost
  end
  local a = 2 + n * 4
  local m = tonumber(ARGV[a + 1])
  if m > 0 then
    for j = 1, m do
      redis.call('HINCRBY', KEYS[n + 1], ARGV[a + 2 * j], tonumber(ARGV[a + 2 * j + 1]))
    end
    redis.call('SADD', KEYS[n + 2], ARGV[a])
  end
end
return out
`;

/** Lease-based slots for in-flight streams: a crashed instance's slots expire with their lease. */
const ACQUIRE_LUA = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

/** Moves an org's pending usage aside atomically, so the flush owns exactly what it read. */
const DRAIN_LUA = `
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return v
`;

type Scripted = Redis & {
  rockerRlDecide(...args: (string | number)[]): Promise<number[]>;
  rockerRlAcquire(...args: (string | number)[]): Promise<number>;
  rockerUsageDrain(key: string): Promise<string[]>;
};

class RedisDown extends Error {}

/**
 * The limiter's storage: Redis shared by every instance, keys under REDIS_PREFIX keyed by org and
 * policy (never by IP). While Redis is unreachable it decides from per-instance memory at
 * limit / RATE_LIMIT_INSTANCES (never unlimited) and raises rocker_ratelimit_fallback_active.
 * Also a plain ThrottlerStorage (`increment`), so @nestjs/throttler can use it as is.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage {
  private readonly log = new Logger(RateLimitStorage.name);
  private readonly redis: Scripted;
  private readonly prefix: string;
  private readonly memory = new Map<string, { used: number; resetAt: number }>();
  private readonly memorySlots = new Map<string, Set<string>>();
  /** Usage admitted on the fallback, flushed to Postgres directly. */
  private readonly memoryUsage = new Map<string, Map<string, number>>();
  private fallback = false;
  private retryRedisAt = 0;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(ENV) private readonly env: Env,
  ) {
    this.prefix = `${env.REDIS_PREFIX}:rl`;
    this.redis = redis as Scripted;
    if (!('rockerRlDecide' in redis)) {
      redis.defineCommand('rockerRlDecide', { lua: DECIDE_LUA });
      redis.defineCommand('rockerRlAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
      redis.defineCommand('rockerUsageDrain', { numberOfKeys: 1, lua: DRAIN_LUA });
    }
    rateLimitFallback.set(0);
  }

  // ---- keys (all under REDIS_PREFIX) ----
  windowKey(orgId: string, policy: string): string {
    return `${this.prefix}:w:${orgId}:${policy}`;
  }
  quotaKey(orgId: string, unit: string, month: string): string {
    return `${this.prefix}:q:${orgId}:${unit}:${month}`;
  }
  slotsKey(orgId: string, policy: string): string {
    return `${this.prefix}:c:${orgId}:${policy}`;
  }
  private pendingKey(orgId: string): string {
    return `${this.prefix}:u:pending:${orgId}`;
  }
  private dirtyKey(): string {
    return `${this.prefix}:u:dirty`;
  }

  get onFallback(): boolean {
    return this.fallback;
  }

  async decide(checks: LimitCheck[], usage: UsageIncrement[] = []): Promise<Decision> {
    if (Date.now() >= this.retryRedisAt) {
      try {
        const orgId = usage[0]?.orgId ?? '';
        const keys = [...checks.map((c) => c.key), this.pendingKey(orgId), this.dirtyKey()];
        const argv: (string | number)[] = [checks.length];
        for (const c of checks) argv.push(c.cost, c.limit, c.windowMs, c.dryRun ? '1' : '0');
        argv.push(orgId, usage.length);
        for (const u of usage) argv.push(`${u.day}|${u.unit}`, u.amount);
        const raw = await this.withTimeout(this.redis.rockerRlDecide(keys.length, ...keys, ...argv));
        this.redisBack();
        return {
          admitted: raw[0] === 1,
          fallback: false,
          checks: checks.map((c, i) => ({
            used: raw[1 + i * 3],
            ttlMs: raw[2 + i * 3],
            over: raw[3 + i * 3] === 1,
            limit: c.limit,
          })),
        };
      } catch (e) {
        this.redisDown(e);
      }
    }
    return this.decideInMemory(checks, usage);
  }

  /** Takes one in-flight slot (false = the org is at its concurrency limit). */
  async acquireSlot(key: string, limit: number, leaseMs: number, id: string): Promise<boolean> {
    if (Date.now() >= this.retryRedisAt) {
      try {
        const ok = await this.withTimeout(this.redis.rockerRlAcquire(key, Date.now(), leaseMs, limit, id));
        this.redisBack();
        return ok === 1;
      } catch (e) {
        this.redisDown(e);
      }
    }
    const slots = this.memorySlots.get(key) ?? new Set<string>();
    if (slots.size >= this.perInstance(limit)) return false;
    slots.add(id);
    this.memorySlots.set(key, slots);
    return true;
  }

  async releaseSlot(key: string, id: string): Promise<void> {
    const local = this.memorySlots.get(key);
    if (local?.delete(id)) return;
    try {
      await this.withTimeout(this.redis.zrem(key, id));
    } catch {
      // the lease expires on its own
    }
  }

  /** ThrottlerStorage: one hit of cost 1 (the guard itself uses `decide`). */
  async increment(key: string, ttl: number, limit: number, _block: number, name: string) {
    const d = await this.decide([
      { key: `${this.prefix}:t:${name}:${key}`, cost: 1, limit, windowMs: ttl, dryRun: false },
    ]);
    const c = d.checks[0];
    const secs = Math.ceil(c.ttlMs / 1000);
    return {
      totalHits: d.admitted ? c.used : c.used + 1,
      timeToExpire: secs,
      isBlocked: !d.admitted,
      timeToBlockExpire: d.admitted ? 0 : secs,
    };
  }

  // ---- usage (pending in Redis until flushed to Postgres) ----

  /** Orgs with usage waiting to be flushed. */
  async dirtyOrgs(): Promise<string[]> {
    const local = [...this.memoryUsage.keys()];
    try {
      return [...new Set([...local, ...(await this.withTimeout(this.redis.smembers(this.dirtyKey())))])];
    } catch {
      return local;
    }
  }

  /** Takes (and removes) an org's pending usage: `day|unit` → amount. */
  async drain(orgId: string): Promise<Map<string, number>> {
    const out = new Map(this.memoryUsage.get(orgId) ?? []);
    this.memoryUsage.delete(orgId);
    try {
      await this.withTimeout(this.redis.srem(this.dirtyKey(), orgId));
      const flat = await this.withTimeout(this.redis.rockerUsageDrain(this.pendingKey(orgId)));
      for (let i = 0; i < flat.length; i += 2)
        out.set(flat[i], (out.get(flat[i]) ?? 0) + Number(flat[i + 1]));
    } catch {
      // Redis down: its pending usage stays there for a later flush
    }
    return out;
  }

  /** Puts usage back after a failed flush (Postgres down), so it is not lost. */
  restore(orgId: string, entries: Map<string, number>): void {
    const m = this.memoryUsage.get(orgId) ?? new Map<string, number>();
    for (const [k, v] of entries) m.set(k, (m.get(k) ?? 0) + v);
    this.memoryUsage.set(orgId, m);
  }

  /** Not yet flushed usage of one org (Redis and this instance's memory). */
  async pending(orgId: string): Promise<Map<string, number>> {
    const out = new Map(this.memoryUsage.get(orgId) ?? []);
    try {
      const h = await this.withTimeout(this.redis.hgetall(this.pendingKey(orgId)));
      for (const [k, v] of Object.entries(h)) out.set(k, (out.get(k) ?? 0) + Number(v));
    } catch {
      // Redis down: only what this instance holds
    }
    return out;
  }

  // ---- fallback ----

  private perInstance(limit: number): number {
    return Math.max(1, Math.floor(limit / this.env.RATE_LIMIT_INSTANCES));
  }

  private decideInMemory(checks: LimitCheck[], usage: UsageIncrement[]): Decision {
    const now = Date.now();
    const state = checks.map((c) => {
      let w = this.memory.get(c.key);
      if (!w || w.resetAt <= now) w = { used: 0, resetAt: now + c.windowMs };
      const limit = this.perInstance(c.limit);
      return { c, w, limit, over: w.used + c.cost > limit };
    });
    const admitted = state.every((s) => !s.over || s.c.dryRun);
    if (admitted) {
      for (const s of state) {
        s.w.used += s.c.cost;
        this.memory.set(s.c.key, s.w);
      }
      for (const u of usage) {
        const m = this.memoryUsage.get(u.orgId) ?? new Map<string, number>();
        const f = `${u.day}|${u.unit}`;
        m.set(f, (m.get(f) ?? 0) + u.amount);
        this.memoryUsage.set(u.orgId, m);
      }
    }
    if (this.memory.size > 100_000)
      for (const [k, w] of this.memory) if (w.resetAt <= now) this.memory.delete(k);
    return {
      admitted,
      fallback: true,
      checks: state.map((s) => ({ used: s.w.used, ttlMs: s.w.resetAt - now, over: s.over, limit: s.limit })),
    };
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(
          () => reject(new RedisDown('redis timeout')),
          this.env.RATE_LIMIT_REDIS_TIMEOUT_MS,
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
        `Redis unreachable (${(e as Error)?.message ?? e}): limiting per instance at limit/${this.env.RATE_LIMIT_INSTANCES}`,
      );
    }
  }

  private redisBack(): void {
    if (this.fallback) {
      this.fallback = false;
      rateLimitFallback.set(0);
      this.log.log('Redis reachable again: shared limits restored');
    }
  }
}
