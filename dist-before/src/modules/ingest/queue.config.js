import { JobPriorityClass, queueNameOf } from './ingest.types.js';
/**
 * BullMQ priority (lower runs first): every interactive job before any backfill job; within a
 * class by lane rank (an org's 1st job in flight before any org's 2nd, ...), FIFO on ties.
 */
const CLASS_BASE = {
    [JobPriorityClass.Interactive]: 0,
    [JobPriorityClass.Backfill]: 10_000,
};
export const priorityOf = (row) => (CLASS_BASE[row.priority_class] ?? 0) + Math.min(Math.max(1, row.lane_rank), 9_999);
/** The row id is the BullMQ job id (add is a no-op for an id already queued); a manual retry is a new generation. */
export const bullJobId = (row) => (row.generation ? `${row.id}.r${row.generation}` : row.id);
export function bullJobOptions(ingestConfig, row) {
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
export const bullPrefix = (redisConfig, kind) => `${redisConfig.prefix}:{${queueNameOf(kind)}}`;
//# sourceMappingURL=queue.config.js.map