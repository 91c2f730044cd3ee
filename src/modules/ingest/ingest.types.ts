import type { TenantContext } from '../../tenancy/tenant-context.js';
import { SetMetadata } from '@nestjs/common';

/**
 * The seam between features that need background work and the ingest pipeline (BullMQ).
 * Features enqueue through IngestEnqueuer inside their own tenant transaction (transactional
 * outbox: the ingest_jobs row commits or rolls back with the work that asked for it), and
 * mark the providers that handle their job kinds with @JobHandler(kind).
 */
export enum JobKind {
  Embed = 'embed',
  Crawl = 'crawl',
  Ocr = 'ocr',
}

export enum JobStatus {
  Queued = 'queued',
  Running = 'running',
  Succeeded = 'succeeded',
  Failed = 'failed',
  Cancelled = 'cancelled',
}

/** Interactive jobs (a single upload) start before backfill (bulk re-embed); fair within each. */
export enum JobPriorityClass {
  Interactive = 'interactive',
  Backfill = 'backfill',
}

export interface EnqueueOptions {
  knowledgeItemId?: string;
  priorityClass?: JobPriorityClass;
  /** Same key for the same work: a second enqueue with it returns the existing job. */
  idempotencyKey?: string;
  /**
   * Enqueued by a finishing job's commit (an embed after a crawl or an ocr job): it takes the
   * finishing job's place, so the org's cap of queued jobs does not refuse it (that would fail
   * work already done).
   */
  followUp?: boolean;
}

export interface EnqueuedJob {
  id: string;
  kind: JobKind;
  status: string;
}

/**
 * What each job kind carries (the ingest_jobs.payload column). The org is the row's own org_id
 * (RLS), never in the payload. A row is checked against its kind once, when the pipeline takes it
 * (job-payloads.ts), so a handler receives exactly this type.
 */
export interface JobPayloads {
  [JobKind.Embed]: { knowledge_item_id: string };
  [JobKind.Crawl]: { knowledge_item_id: string; url: string };
  [JobKind.Ocr]: { knowledge_item_id: string };
}

export abstract class IngestEnqueuer {
  /** Writes the ingest_jobs row in the caller's tenant transaction; dispatch happens after commit. */
  abstract enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], opts?: EnqueueOptions): Promise<EnqueuedJob>;
}

export interface IngestJobContext<K extends JobKind = JobKind> {
  jobId: string;
  orgId: string;
  kind: K;
  knowledgeItemId: string | null;
  payload: JobPayloads[K];
  attempt: number;
  /**
   * This generation of the job as one key (the queue's job id): a manual retry makes a new one, an
   * automatic attempt keeps it. What a charge for the run's work is counted once against.
   */
  work: string;
  requestId: string | null;
  /**
   * Aborted when the job must stop: its process is shutting down (the job is handed back to the
   * queue) or its lease was lost (another worker runs it). Slow parts should pass it on or check it;
   * the pipeline stops waiting for the handler either way, and never runs a write step after it.
   */
  signal: AbortSignal;
  /**
   * Runs `fn` in a short tenant transaction of its own, with the job's org set (the same RLS path
   * as a request): the reads a handler needs before its slow work.
   */
  db<T>(fn: () => Promise<T>): Promise<T>;
}

/** A job runs as its org, with no user, under the request id that enqueued it. */
export function tenantOfJob(job: { jobId: string; orgId: string; requestId: string | null }): TenantContext {
  return {
    requestId: job.requestId ?? `job-${job.jobId}`,
    userId: null,
    orgId: job.orgId,
    role: null,
    isSuperAdmin: false,
  };
}

/**
 * A handler's write step: the pipeline runs it in the transaction that marks the job succeeded,
 * so a crash mid-job leaves no half result.
 */
export type JobCommit = () => Promise<void>;

/**
 * A handler does its slow part (fetch, OCR, model inference) outside any transaction, so a job
 * holds no database connection, row lock or snapshot while it computes; reads go through
 * `job.db`, and the writes are returned as a JobCommit. Repositories used outside both throw
 * (TenantDb fails closed). It must be idempotent: running it twice changes nothing twice.
 * Throwing fails the attempt; throwing PermanentJobError fails the job at once, without retries.
 * Its payload has been checked against its kind already (a bad one never reaches it).
 */
export interface IngestHandler<K extends JobKind = JobKind> {
  readonly kind: K;
  handle(job: IngestJobContext<K>): Promise<JobCommit | void>;
}

export class PermanentJobError extends Error {}

/** An embed job's verdict on an item whose text makes more chunks than one item may be indexed as. */
export const tooLongError = (chunks: number, most: number) =>
  new PermanentJobError(
    `too-long: this item's text makes ${chunks} chunks, more than the ${most} one item may be indexed as: split it into smaller items`,
  );

/** The chunk count of a job error tooLongError wrote; NaN for any other error. */
export const tooLongChunks = (error: string | null): number =>
  Number(/^too-long: this item's text makes (\d+) chunks/.exec(error ?? '')?.[1]);

/** The job's lease in Postgres is no longer this worker's (it expired and was reaped, or another worker took the job). */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`the lease of ingest job ${jobId} was lost: another worker runs it`);
  }
}

/** The process is shutting down: the job goes back to the queue, no attempt spent. */
export class JobHandedBackError extends Error {
  constructor() {
    super('the worker is shutting down: the job was handed back to the queue');
  }
}

export const JOB_HANDLER = 'rocker:job-handler';

/**
 * Marks a provider as the handler of a job kind. The ingest module finds handlers with Nest's
 * DiscoveryService, so features need not import the ingest module to register theirs.
 */
export const JobHandler = (kind: JobKind): ClassDecorator => SetMetadata(JOB_HANDLER, kind);

/**
 * Queue naming shared by the ingest pipeline and the queue board: one BullMQ queue per JobKind,
 * named by its value, with BullMQ `prefix` = env.REDIS_PREFIX.
 */
export const queueNameOf = (kind: JobKind): string => kind;
