import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { OrgSlots } from '../src/modules/ingest/org-slots.js';
import { envFor, slicesOf } from './support/env.js';
import { REDIS_URL } from './support/urls.js';

/**
 * Per-org job slots on real Redis. A job that finds its org full parks itself and waits (in
 * BullMQ's delayed set) for a released slot to wake it. The park also looks again: a slot released
 * between the job's take and its park pops no one, and without the second look that job slept out
 * its whole fallback delay (ingest.processes.test.ts, 40 jobs at limit 2, timed out in CI).
 */
describe('OrgSlots: parking a job that found its org full', () => {
  const env = envFor('postgres://unused@127.0.0.1:5432/unused', 'postgres://unused@127.0.0.1:5432/unused');
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const { ingest, redis: redisConfig } = slicesOf(env);
  const slots = new OrgSlots(redis as never, ingest, redisConfig);
  afterAll(async () => {
    const keys = await redis.keys(`${redisConfig.prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('parks while the org is still full (the release wakes it); a release between the take and the park is caught by the park', async () => {
    const org = randomUUID();
    expect(await slots.acquire(org, 'a', 1, 0)).toEqual({ ok: true });
    expect(await slots.acquire(org, 'b', 1, 0)).toEqual({ ok: false, full: true });
    // still full when b parks: nobody to wake now; a's release pops b
    expect(await slots.park(org, 'embed|b', 1)).toBeNull();
    expect(await slots.release(org, 'a')).toBe('embed|b');

    // c finds the org full (b runs), then b's slot is released before c has parked: that release
    // pops no one, so the park itself answers c for the caller to wake
    expect(await slots.acquire(org, 'b', 1, 0)).toEqual({ ok: true });
    expect(await slots.acquire(org, 'c', 1, 0)).toEqual({ ok: false, full: true });
    expect(await slots.release(org, 'b')).toBeNull();
    expect(await slots.park(org, 'embed|c', 1)).toBe('embed|c');
    expect(await slots.nextParked(org)).toBeNull(); // popped, not left behind for a second wake
    expect(await slots.acquire(org, 'c', 1, 0)).toEqual({ ok: true });
  });

  it("wakes the first job in line when a crashed worker's slot has expired: the one parking queues behind it", async () => {
    const org = randomUUID();
    expect(await slots.acquire(org, 'a', 1, 0)).toEqual({ ok: true });
    expect(await slots.park(org, 'embed|x', 1)).toBeNull();
    // a's worker died: its lease runs out and nobody releases its slot
    await redis.zadd(slots.key(org), 1, 'a');
    expect(await slots.park(org, 'embed|y', 1)).toBe('embed|x');
    expect(await slots.nextParked(org)).toBe('embed|y');
  });

  it('a job parking again keeps its place and adds nothing: one entry per parked job, however often its delay ends', async () => {
    const org = randomUUID();
    expect(await slots.acquire(org, 'a', 1, 0)).toEqual({ ok: true });
    for (let i = 0; i < 50; i++) {
      expect(await slots.park(org, 'embed|first', 1)).toBeNull();
      expect(await slots.park(org, 'embed|second', 1)).toBeNull();
    }
    expect(await redis.zcard(slots.waitKey(org))).toBe(2); // as a list: 100
    expect(await slots.release(org, 'a')).toBe('embed|first');
    expect(await slots.nextParked(org)).toBe('embed|second');
    expect(await slots.nextParked(org)).toBeNull();
  });
});
