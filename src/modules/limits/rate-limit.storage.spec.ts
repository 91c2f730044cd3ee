import { describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { loadEnv } from '../../config/env.js';
import { rateLimitFallback } from '../../common/metrics/metrics.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UsageUnit } from './limits.types.js';

const env = loadEnv(
  {
    DATABASE_URL: 'postgres://x@h/d',
    REDIS_URL: 'redis://h',
    JWT_SECRET: 'x'.repeat(32),
    METRICS_TOKEN: 'x'.repeat(16),
    RATE_LIMIT_INSTANCES: '3',
  },
  '/nonexistent',
);

/** A Redis whose every command fails, like a stopped server with the offline queue disabled. */
function downRedis() {
  const fail = vi.fn().mockRejectedValue(new Error('Connection is closed.'));
  return {
    defineCommand: vi.fn(),
    rockerRlDecide: fail,
    rockerRlAcquire: fail,
    rockerUsageDrain: fail,
    smembers: fail,
    srem: fail,
    hgetall: fail,
    zrem: fail,
  } as unknown as Redis & { rockerRlDecide: ReturnType<typeof vi.fn> };
}

describe(RateLimitStorage.name, () => {
  it('falls back to limit / instances in memory, raises the metric, never unlimited', async () => {
    const redis = downRedis();
    const sut = new RateLimitStorage(redis, env);
    const check = { key: 'k', cost: 1, limit: 10, windowMs: 60_000, dryRun: false };
    const usage = [{ orgId: 'o', day: '2026-11-26', unit: UsageUnit.EmbeddingInputs, amount: 1 }];
    const admitted: boolean[] = [];
    for (let i = 0; i < 5; i++) admitted.push((await sut.decide([check], usage)).admitted);
    expect(admitted).toEqual([true, true, true, false, false]); // floor(10 / 3)
    expect((await rateLimitFallback.get()).values[0].value).toBe(1);
    expect(sut.onFallback).toBe(true);
    // Within the retry pause Redis is not asked again for every request.
    expect(redis.rockerRlDecide).toHaveBeenCalledTimes(1);
    expect(await sut.pending('o')).toEqual(new Map([['2026-11-26|embedding_inputs', 3]]));
    expect(await sut.drain('o')).toEqual(new Map([['2026-11-26|embedding_inputs', 3]]));
    expect((await sut.pending('o')).size).toBe(0);
  });

  it('dry-run checks pass over the limit; nothing is consumed when one check refuses', async () => {
    const sut = new RateLimitStorage(downRedis(), env);
    const dry = { key: 'd', cost: 5, limit: 3, windowMs: 60_000, dryRun: false };
    expect((await sut.decide([{ ...dry, dryRun: true }])).admitted).toBe(true);
    const a = { key: 'a', cost: 1, limit: 30, windowMs: 60_000, dryRun: false };
    const d = await sut.decide([a, dry]);
    expect(d.admitted).toBe(false);
    expect(d.checks[0]).toMatchObject({ used: 0, over: false });
    expect(d.checks[1]).toMatchObject({ over: true, limit: 1 });
  });

  it('in-flight slots fall back per instance too', async () => {
    const sut = new RateLimitStorage(downRedis(), env);
    expect(await sut.acquireSlot('s', 6, 1000, 'a')).toBe(true);
    expect(await sut.acquireSlot('s', 6, 1000, 'b')).toBe(true);
    expect(await sut.acquireSlot('s', 6, 1000, 'c')).toBe(false);
    await sut.releaseSlot('s', 'a');
    expect(await sut.acquireSlot('s', 6, 1000, 'c')).toBe(true);
  });
});
