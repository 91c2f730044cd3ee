import { describe, expect, it } from 'vitest';
import { bullJobId, bullJobOptions, bullPrefix, priorityOf } from './queue.config.js';
import { JobKind } from './ingest.types.js';
import { JobPriorityClass } from './ingest.types.js';
import { loadEnv } from '../../config/env.js';
import { slicesOf } from '../../config/slices.js';

const env = loadEnv(
  { DATABASE_URL: 'postgres://x@h/db', DATABASE_WORKER_URL: 'postgres://x@h/db', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`, REDIS_URL: 'redis://:p%40ss@redis.local:6380/2', JWT_SECRET: 'x'.repeat(40), METRICS_TOKEN: 'y'.repeat(20), INGEST_BACKOFF_MS: '500' },
  '/nonexistent',
);
const { ingest, redis } = slicesOf(env);

describe('queue.config', () => {
  it('orders every interactive job before any backfill job, then by lane rank', () => {
    const i = (lane_rank: number) => priorityOf({ priority_class: JobPriorityClass.Interactive, lane_rank });
    const b = (lane_rank: number) => priorityOf({ priority_class: JobPriorityClass.Backfill, lane_rank });
    expect(i(1)).toBeLessThan(i(2));
    expect(i(50_000)).toBeLessThan(b(1));
    expect(b(1)).toBeLessThan(b(2));
    expect(i(0)).toBe(i(1));
  });

  it('uses the row id as the BullMQ job id, a suffix per manual retry', () => {
    expect(bullJobId({ id: 'abc', generation: 0 })).toBe('abc');
    expect(bullJobId({ id: 'abc', generation: 2 })).toBe('abc.r2');
    expect(bullJobId({ id: 'abc', generation: 2 })).not.toContain(':');
  });

  it('retries with exponential backoff and jitter; Postgres keeps the record, Redis only live jobs', () => {
    const o = bullJobOptions(ingest, {
      org_id: 'o', id: 'j', kind: 'embed' as never, priority_class: JobPriorityClass.Backfill, generation: 0, max_attempts: 4,
      request_id: null, queued_at: new Date(), lane_rank: 3,
    });
    expect(o).toMatchObject({ jobId: 'j', attempts: 4, backoff: { type: 'exponential', delay: 500, jitter: 0.5 }, removeOnComplete: true, removeOnFail: true });
  });

  it("hash-tags each queue's keys by the queue (a Redis Cluster slot per queue), under REDIS_PREFIX", () => {
    expect(bullPrefix(redis, JobKind.Embed)).toBe('rocker:{embed}');
    expect(bullPrefix(redis, JobKind.Ocr)).toBe('rocker:{ocr}');
  });
});
