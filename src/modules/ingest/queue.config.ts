import type { JobsOptions } from 'bullmq';
import type { IngestConfig, RedisConfig } from '../../config/slices.js';
import { JobKind, JobPriorityClass, queueNameOf } from './ingest.types.js';

/** What a BullMQ job carries: routing only. The payload stays in Postgres, under RLS. */
export interface QueueJobData {
  org_id: string;
  job_id: string;
  kind: JobKind;
  request_id: string | null;
}

/** A row handed out by ingest_dispatch_claim / ingest_dispatched_queued. */
export interface OutboxRow {
  org_id: string;
  id: string;
  kind: JobKind;
  priority_class: JobPriorityClass;
  generation: number;
  max_attempts: number;
  request_id: string | null;
  queued_at: Date;
  /** Place in its org's lane: jobs of this org in flight before it + 1. */
  lane_rank: number;
}

/**
 * BullMQ priority (lower runs first): every interactive job before any backfill job; within a
 * class by lane rank (an org's 1st job in flight before any org's 2nd, ...), FIFO on ties.
 */
const CLASS_BASE: Record<JobPriorityClass, number> = {
  [JobPriorityClass.Interactive]: 0,
  [JobPriorityClass.Backfill]: 10_000,
};
export const priorityOf = (row: Pick<OutboxRow, 'priority_class' | 'lane_rank'>): number =>
  (CLASS_BASE[row.priority_class] ?? 0) + Math.min(Math.max(1, row.lane_rank), 9_999);

/** The row id is the BullMQ job id (add is a no-op for an id already queued); a manual retry is a new generation. */
export const bullJobId = (row: Pick<OutboxRow, 'id' | 'generation'>): string => (row.generation ? `${row.id}.r${row.generation}` : row.id);

/** The generation a BullMQ job id names (bullJobId's inverse): a copy of an earlier generation is stale. */
export const generationOfBullId = (bullId: string | undefined): number => {
  const m = /\.r(\d+)$/.exec(bullId ?? '');
  return m ? Number(m[1]) : 0;
};

export function bullJobOptions(ingestConfig: IngestConfig, row: OutboxRow): JobsOptions {
  return {
    jobId: bullJobId(row),
    priority: priorityOf(row),
    attempts: row.max_attempts,
    backoff: { type: 'exponential', delay: ingestConfig.backoffMs, jitter: 0.5 },
    // Postgres is the record of every job; Redis keeps only live ones.
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/**
 * BullMQ's key prefix of a queue: `<REDIS_PREFIX>:{<queue>}`. BullMQ's scripts touch several keys
 * of one queue, which on a Redis Cluster must share a slot: the hash tag names the queue, so each
 * queue is one slot and the queues spread over the masters (one server ignores the tag).
 */
export const bullPrefix = (redisConfig: Pick<RedisConfig, 'prefix'>, kind: JobKind): string => `${redisConfig.prefix}:{${queueNameOf(kind)}}`;
