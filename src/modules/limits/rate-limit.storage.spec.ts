import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { loadEnv } from '../../config/env.js';
import { slicesOf } from '../../config/slices.js';
import { rateLimitFallback } from '../../common/metrics/metrics.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { RatePlan } from './rate-decision.js';

const env = loadEnv(
  {
    DATABASE_URL: 'postgres://x@h/d', DATABASE_WORKER_URL: 'postgres://x@h/d', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
    REDIS_URL: 'redis://h',
    JWT_SECRET: 'x'.repeat(32),
    METRICS_TOKEN: 'x'.repeat(16),
  },
  '/nonexistent',
);
const { limits, redis: redisConfig } = slicesOf(env);

type Fn = ReturnType<typeof vi.fn>;
/** A Redis double: every command fails (a stopped server with the offline queue disabled) unless given. */
function fakeRedis(over: Record<string, Fn> = {}) {
  const fail = () => vi.fn().mockRejectedValue(new Error('Connection is closed.'));
  return {
    defineCommand: vi.fn(),
    rockerRlDecide: fail(),
    rockerRlMeter: fail(),
    rockerRlBeat: fail(),
    rockerUsageDrain: fail(),
    smembers: fail(),
    sadd: fail(),
    srem: fail(),
    hgetall: fail(),
    zrem: fail(),
    ...over,
  } as unknown as Redis & Record<string, Fn>;
}

const plan = (opts: { limit?: number; burst?: number; dryRun?: boolean; usage?: number } = {}) => {
  const p = new RatePlan('o', RatePolicy.Embeddings, 1);
  const limit = opts.limit ?? 10;
  p.rates.push({
    policy: RatePolicy.Embeddings,
    key: 'rl:{o}:embeddings',
    cost: 1,
    limit,
    windowS: 60,
    burst: opts.burst ?? limit,
    dryRun: opts.dryRun ?? false,
  });
  if (opts.usage)
    p.metering = { orgId: 'o', key: 'rl:{o}:u', entries: [['2026-11-26|embedding_inputs', opts.usage]] };
  return p;
};

const until = async (fn: () => boolean) => {
  for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(fn()).toBe(true);
};

describe(RateLimitStorage.name, () => {
  let sut: RateLimitStorage | undefined;
  afterEach(async () => {
    await sut?.onApplicationShutdown();
    sut = undefined;
  });

  it('falls back to limit / live instances (learnt from heartbeats), raises the metric, never unlimited', async () => {
    const redis = fakeRedis({
      rockerRlBeat: vi.fn().mockResolvedValue(3),
      zrem: vi.fn().mockResolvedValue(1),
    });
    sut = new RateLimitStorage(redis, limits, redisConfig);
    sut.startHeartbeat();
    await until(() => sut!.instances === 3);
    const admitted: boolean[] = [];
    for (let i = 0; i < 5; i++) admitted.push((await sut.decide(plan({ usage: 1 }))).admitted);
    expect(admitted).toEqual([true, true, true, false, false]); // floor(10 / 3)
    const v = await sut.decide(plan());
    expect(v.fallback).toEqual({ instances: 3 });
    expect(v.rates[0]).toMatchObject({ limit: 3, fits: false, state: { remaining: 0 } });
    expect((await rateLimitFallback.get()).values[0].value).toBe(1);
    expect(sut.onFallback).toBe(true);
    // Within the retry pause Redis is not asked again for every request.
    expect(redis.rockerRlDecide).toHaveBeenCalledTimes(1);
    expect(await sut.pending('o')).toEqual(new Map([['2026-11-26|embedding_inputs', 3]]));
    expect(await sut.drain('o')).toEqual(new Map([['2026-11-26|embedding_inputs', 3]]));
    expect((await sut.pending('o')).size).toBe(0);
  });

  it('a Redis slower than RATE_LIMIT_REDIS_TIMEOUT_MS is decided by the fallback, not admitted unchecked', async () => {
    const redis = fakeRedis({ rockerRlDecide: vi.fn(() => new Promise(() => undefined)) });
    sut = new RateLimitStorage(redis, { ...limits, redisTimeoutMs: 20 }, redisConfig);
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await sut.decide(plan({ limit: 2 }))).admitted);
    expect(got).toEqual([true, true, false]);
  });

  it('refusal memo: while a bucket is known empty, refusals cost no Redis call and carry true headers', async () => {
    // Redis says: admitted, and the bucket is now empty (TAT a full window ahead).
    const decide = vi.fn().mockResolvedValue([[1, -1, 0, 0, '60000.0000', 1]]);
    const redis = fakeRedis({ rockerRlDecide: decide });
    // decide never waits, whatever the pace: only the HTTP guard paces (charges and the
    // authentication-failure limiter decide here too, some inside a transaction)
    sut = new RateLimitStorage(redis, { ...limits, refusalPaceMs: 5_000 }, redisConfig);
    const t0 = performance.now();
    const first = await sut.decide(plan({ limit: 5 }));
    expect(first.admitted).toBe(true);
    expect(first.rates[0].state.remaining).toBe(0);
    for (let i = 0; i < 20; i++) {
      const v = await sut.decide(plan({ limit: 5 }));
      expect(v).toMatchObject({ admitted: false, memo: true });
      expect(v.rates[0].state.remaining).toBe(0);
      expect(v.rates[0].state.retryMs).toBeGreaterThan(11_000);
      expect(v.rates[0].state.retryMs).toBeLessThanOrEqual(12_000);
    }
    expect(decide).toHaveBeenCalledTimes(1);
    expect(performance.now() - t0).toBeLessThan(1_000);
    // Another limit (an admin changed it) is not judged by the old memo; dry-run never is.
    await sut.decide(plan({ limit: 50 }));
    await sut.decide(plan({ limit: 5, dryRun: true }));
    expect(decide).toHaveBeenCalledTimes(3);
  });

  it('the decisions of one turn go to Redis in one script call per hash tag, each request with its own answer', async () => {
    // answers in order: the script decides the calls' requests one after the other
    const decide = vi.fn(async (...args: (string | number)[]) => {
      const keys = args.slice(1, 1 + Number(args[0])) as string[];
      return keys.map((_, i) => [1, -1, 0, 0, `${(i + 1) * 6000}.0000`, 1]);
    });
    sut = new RateLimitStorage(fakeRedis({ rockerRlDecide: decide }), limits, redisConfig);
    const other = plan();
    other.rates[0].key = 'rl:{p}:embeddings';
    const got = await Promise.all([sut.decide(plan()), sut.decide(plan()), sut.decide(other), sut.decide(plan())]);
    expect(decide).toHaveBeenCalledTimes(2);
    // {o}: three requests, each with its key count, argument count and arguments; {p} on its own
    const [o, p] = decide.mock.calls;
    expect(o.slice(0, 5)).toEqual([3, 'rl:{o}:embeddings', 'rl:{o}:embeddings', 'rl:{o}:embeddings', 3]);
    expect(o.slice(5, 7)).toEqual([1, 8]);
    expect(p.slice(0, 3)).toEqual([1, 'rl:{p}:embeddings', 1]);
    // each request's answer is its own (the tenth of the window each later request's TAT stands at)
    expect(got.map((v) => v.rates[0].state.remaining)).toEqual([9, 8, 9, 7]);
  });

  it('pace: waits min(pace, the wait for the token); a client gone or a shutdown ends it; nothing is kept after', async () => {
    // admitted, and the bucket is empty for the next 12 s (a token every 12 s at 5 a minute)
    const decide = vi.fn().mockResolvedValue([[1, -1, 0, 0, '60000.0000', 1]]);
    sut = new RateLimitStorage(fakeRedis({ rockerRlDecide: decide }), { ...limits, refusalPaceMs: 300 }, redisConfig);
    const never = () => new AbortController();
    const timed = async (f: () => Promise<void>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    expect(sut.memoRefusal(plan({ limit: 5 }))).toBeUndefined(); // nothing known yet: nothing to pace
    await sut.decide(plan({ limit: 5 }));
    const refused = sut.memoRefusal(plan({ limit: 5 }))!;
    expect(refused.state.retryMs).toBeGreaterThan(11_000);
    const paced = await timed(() => sut!.pace(refused, never()));
    expect(paced).toBeGreaterThanOrEqual(295);
    expect(paced).toBeLessThan(300 * 3 + 50);
    // the token sooner than the pace: held until the token only
    const soon = { ...refused, state: { ...refused.state, retryMs: 40 } };
    expect(await timed(() => sut!.pace(soon, never()))).toBeLessThan(250);
    const gone = new AbortController();
    const leaving = timed(() => sut!.pace(refused, gone));
    expect(sut.held).toBe(1);
    gone.abort();
    expect(await leaving).toBeLessThan(150);
    expect(sut.held).toBe(0); // forgotten once ended
    const closing = timed(() => sut!.pace(refused, never()));
    sut.beforeApplicationShutdown();
    expect(await closing).toBeLessThan(150);
    expect(await timed(() => sut!.pace(refused, never()))).toBeLessThan(50); // shut down: never held again
    expect(sut.held).toBe(0);
  });

  it('dry-run buckets pass over the limit; nothing is consumed when one bucket refuses', async () => {
    sut = new RateLimitStorage(fakeRedis(), limits, redisConfig);
    const dry = plan({ limit: 1, dryRun: true });
    expect((await sut.decide(dry)).admitted).toBe(true);
    expect((await sut.decide(dry)).admitted).toBe(true);
    const both = plan({ limit: 30 });
    both.rates[0].key = 'first';
    both.rates.push({ ...plan({ limit: 1 }).rates[0], key: 'other' });
    expect((await sut.decide(both)).admitted).toBe(true);
    const d = await sut.decide(both);
    expect(d.admitted).toBe(false);
    expect(d.rates[0]).toMatchObject({ fits: true, state: { remaining: 29 } }); // not consumed
    expect(d.rates[1]).toMatchObject({ fits: false });
  });

  it('in-flight slots fall back per instance too', async () => {
    sut = new RateLimitStorage(fakeRedis(), limits, redisConfig);
    const withSlot = (id: string) => {
      const p = plan({ limit: 100 });
      p.slot = { policy: RatePolicy.Tts, key: 's', limit: 2, leaseMs: 1000, id };
      return p;
    };
    expect((await sut.decide(withSlot('a'))).admitted).toBe(true);
    expect((await sut.decide(withSlot('b'))).admitted).toBe(true);
    expect(await sut.decide(withSlot('c'))).toMatchObject({ admitted: false, slotRefused: true });
    await sut.releaseSlot('s', 'a');
    expect((await sut.decide(withSlot('c'))).admitted).toBe(true);
  });
});
