import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import { keysetPage } from '../../database/keyset-page.repository.js';
import { JobKind, JobPriorityClass, JobStatus, LeaseLostError, type JobPayloads } from './ingest.types.js';
import type { IngestJobDto } from './dto/ingest-job.dto.js';

const COLS = `id, kind, status, priority_class, knowledge_item_id, payload, attempts, max_attempts, last_error, request_id,
  ${isoTs('created_at')}, ${isoTs('queued_at')}, ${isoTs('started_at')}, ${isoTs('finished_at')}`;

export interface NewJob {
  kind: JobKind;
  payload: JobPayloads[JobKind];
  knowledgeItemId: string | null;
  priorityClass: JobPriorityClass;
  idempotencyKey: string | null;
  maxAttempts: number;
}

export interface StartedJob {
  id: string;
  kind: JobKind;
  /** As stored: checked against its kind by JobPayloadParser before a handler sees it. */
  payload: unknown;
  knowledge_item_id: string | null;
  attempts: number;
  max_attempts: number;
  /** This take's lease epoch: the commit step requires it. */
  lease_epoch: number;
  /** Seconds from queued to this start (first start only; null on a re-run after a crash). */
  wait_s: number | null;
}

/**
 * A job's start (IngestRepository.start): $1 job id, $2 lease ms, $3 lease owner, $4 org, $5 the
 * generation the queue's copy was made for (a copy of an earlier one is stale: skipped). One
 * statement, the item's `processing` included (a data-modifying CTE runs even if unread). Both rows
 * are reached by their primary key ($1, and the job's item as a one-value subquery) whatever the
 * statistics say: with the job reached only through a join on `old.id`, the planner could order
 * the join to walk every job of the org (its whole backlog) for each start.
 */
export const START_JOB_SQL = `WITH job AS (
     UPDATE ingest_jobs j SET status = 'running', attempts = j.attempts + 1, started_at = clock_timestamp(),
            dispatched_at = coalesce(j.dispatched_at, clock_timestamp()), lease_epoch = j.lease_epoch + 1,
            lease_expires_at = clock_timestamp() + make_interval(secs => $2 / 1000.0), lease_owner = $3
       FROM (SELECT id, status AS before FROM ingest_jobs WHERE org_id = $4 AND id = $1 FOR UPDATE) old
      WHERE j.org_id = $4 AND j.id = $1 AND j.id = old.id AND j.status IN ('queued', 'running') AND j.generation = $5
      RETURNING j.id, j.kind, j.payload, j.knowledge_item_id, j.attempts, j.max_attempts, j.lease_epoch,
        CASE WHEN old.before = 'queued' THEN extract(epoch FROM j.started_at - j.queued_at)::float8 END AS wait_s),
   item AS (
     UPDATE knowledge_items k SET status = 'processing', error = NULL, updated_at = clock_timestamp()
       WHERE k.org_id = $4 AND k.id = (SELECT knowledge_item_id FROM job) AND k.status <> 'processing')
   SELECT * FROM job`;

/**
 * ingest_jobs (and the knowledge item status that follows its jobs), inside the tenant transaction;
 * every statement names the context's org (the job's org in a worker) besides RLS.
 */
@Injectable()
export class IngestRepository {
  constructor(private readonly db: TenantDb) {}

  private org(): string {
    return this.db.context().orgId!;
  }

  /** The outbox write. Same idempotency key in the same org → the existing row. */
  async insert(job: NewJob): Promise<IngestJobDto> {
    const { orgId, requestId } = this.db.context();
    const row = await this.db.one<IngestJobDto>(
      `INSERT INTO ingest_jobs (org_id, kind, payload, knowledge_item_id, priority_class, idempotency_key, max_attempts, request_id)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8)
       ON CONFLICT (org_id, idempotency_key) DO NOTHING RETURNING ${COLS}`,
      [orgId, job.kind, JSON.stringify(job.payload), job.knowledgeItemId, job.priorityClass, job.idempotencyKey, job.maxAttempts, requestId],
    );
    if (row) return row;
    return (await this.db.one<IngestJobDto>(`SELECT ${COLS} FROM ingest_jobs WHERE org_id = $1 AND idempotency_key = $2`, [
      orgId,
      job.idempotencyKey,
    ]))!;
  }

  /** The org's jobs waiting to run, counted up to `atMost` (a cap check reads no further). */
  async countQueued(atMost: number): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ingest_jobs WHERE org_id = $2 AND status = 'queued' LIMIT $1) q`,
      [atMost, this.org()],
    );
    return row?.n ?? 0;
  }

  list(limit: number, filter: { status?: JobStatus; kind?: JobKind }, after?: Keyset): Promise<IngestJobDto[]> {
    return keysetPage(
      this.db,
      `SELECT ${COLS} FROM ingest_jobs WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR kind = $3)`,
      'ingest_jobs',
      [this.org(), filter.status ?? null, filter.kind ?? null],
      limit,
      after,
    );
  }

  get(id: string): Promise<IngestJobDto | undefined> {
    return this.db.one(`SELECT ${COLS} FROM ingest_jobs WHERE org_id = $1 AND id = $2`, [this.org(), id]);
  }

  /**
   * failed or cancelled → queued, as a new generation (a new BullMQ job id) with a fresh attempt
   * budget. A cancelled job's copy may still wait in the queue: its generation is the old one, so
   * the worker's start skips it.
   */
  async retry(id: string): Promise<IngestJobDto | undefined> {
    const row = await this.db.one<IngestJobDto>(
      `UPDATE ingest_jobs SET status = 'queued', attempts = 0, generation = generation + 1, dispatched_at = NULL,
              started_at = NULL, finished_at = NULL, queued_at = clock_timestamp()
        WHERE org_id = $2 AND id = $1 AND status IN ('failed', 'cancelled') RETURNING ${COLS}`,
      [id, this.org()],
    );
    if (row?.knowledge_item_id) {
      await this.db.query(
        `UPDATE knowledge_items SET status = 'pending', error = NULL, updated_at = clock_timestamp() WHERE org_id = $2 AND id = $1`,
        [row.knowledge_item_id, this.org()],
      );
    }
    return row;
  }

  /** queued → cancelled. A copy already in the queue is skipped by the worker (it checks the row). */
  async cancel(id: string): Promise<IngestJobDto | undefined> {
    const row = await this.db.one<IngestJobDto>(
      `UPDATE ingest_jobs SET status = 'cancelled', finished_at = clock_timestamp() WHERE org_id = $2 AND id = $1 AND status = 'queued' RETURNING ${COLS}`,
      [id, this.org()],
    );
    if (row?.knowledge_item_id) await this.settleItem(row.knowledge_item_id, 'ingest job cancelled');
    return row;
  }

  /**
   * queued|running → running, under a new lease epoch. `running` is allowed because a job whose
   * worker died is delivered again (BullMQ's stalled check) while its row still says running; the
   * new epoch makes the earlier worker stale, so only one of them can commit. Anything else
   * (cancelled, finished, deleted, or a copy of an earlier generation) answers undefined and the
   * worker skips the job.
   */
  async start(id: string, generation: number, owner: string, leaseMs: number): Promise<StartedJob | undefined> {
    return this.db.one<StartedJob>(START_JOB_SQL, [id, leaseMs, owner, this.org(), generation]);
  }

  /** Whether the queue's copy of `generation` is still wanted: the row queued or running at that generation. */
  async wanted(id: string, generation: number): Promise<boolean> {
    const row = await this.db.one(
      `SELECT id FROM ingest_jobs WHERE org_id = $3 AND id = $1 AND generation = $2 AND status IN ('queued', 'running')`,
      [id, generation, this.org()],
    );
    return row !== undefined;
  }

  /** Pushes the lease forward; false when it is no longer this epoch's (reaped, or taken by another worker). */
  async renewLease(id: string, epoch: number, leaseMs: number): Promise<boolean> {
    const row = await this.db.one(
      `UPDATE ingest_jobs SET lease_expires_at = clock_timestamp() + make_interval(secs => $3 / 1000.0)
        WHERE org_id = $4 AND id = $1 AND status = 'running' AND lease_epoch = $2 RETURNING id`,
      [id, epoch, leaseMs, this.org()],
    );
    return row !== undefined;
  }

  /**
   * The commit step's first statement: locks the row and checks it is still running under this
   * epoch. Throws LeaseLostError otherwise, which rolls back the whole commit (the job's writes too).
   */
  async holdLease(id: string, epoch: number): Promise<void> {
    const row = await this.db.one(
      `SELECT id FROM ingest_jobs WHERE org_id = $3 AND id = $1 AND status = 'running' AND lease_epoch = $2 FOR UPDATE`,
      [id, epoch, this.org()],
    );
    if (!row) throw new LeaseLostError(id);
  }

  async succeed(id: string, itemId: string | null): Promise<void> {
    await this.db.query(
      `UPDATE ingest_jobs SET status = 'succeeded', last_error = NULL, finished_at = clock_timestamp(), lease_expires_at = NULL
        WHERE org_id = $2 AND id = $1`,
      [id, this.org()],
    );
    if (itemId) await this.settleItem(itemId, null);
  }

  /** An attempt failed and another follows (BullMQ backoff): the row waits as queued, error kept. */
  async attemptFailed(id: string, epoch: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE ingest_jobs SET status = 'queued', last_error = $3, lease_expires_at = NULL, lease_owner = NULL
        WHERE org_id = $4 AND id = $1 AND status = 'running' AND lease_epoch = $2`,
      [id, epoch, error, this.org()],
    );
  }

  /**
   * Shutdown: running → queued with the attempt given back and a new epoch (this worker's copy is
   * stale from here). Undispatched, so a dispatcher sends it again should the queue have lost it.
   */
  async handBack(id: string, epoch: number): Promise<boolean> {
    const row = await this.db.one(
      `UPDATE ingest_jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), lease_epoch = lease_epoch + 1,
              lease_expires_at = NULL, lease_owner = NULL, dispatched_at = NULL
        WHERE org_id = $3 AND id = $1 AND status = 'running' AND lease_epoch = $2 RETURNING id`,
      [id, epoch, this.org()],
    );
    return row !== undefined;
  }

  /** → failed (and the item settles). With `epoch`, only while this worker still holds the lease. */
  async fail(id: string, itemId: string | null, error: string, epoch?: number): Promise<void> {
    const row = await this.db.one(
      `UPDATE ingest_jobs SET status = 'failed', last_error = $2, finished_at = clock_timestamp(), lease_expires_at = NULL
        WHERE org_id = $4 AND id = $1 AND status IN ('queued', 'running') AND ($3::int IS NULL OR lease_epoch = $3) RETURNING id`,
      [id, error, epoch ?? null, this.org()],
    );
    if (row && itemId) await this.settleItem(itemId, error);
  }

  /**
   * The item follows its jobs: while one is queued or running it stays pending/processing; when
   * none is left it is failed if any of them failed (or was cancelled), else ready.
   */
  private async settleItem(itemId: string, error: string | null): Promise<void> {
    // Lock the item first: two of its jobs finishing at once must not each see the other still live.
    // The count below is a new statement, so it sees whatever the lock holder committed.
    await this.db.query(`SELECT id FROM knowledge_items WHERE org_id = $2 AND id = $1 FOR UPDATE`, [itemId, this.org()]);
    await this.db.query(
      `UPDATE knowledge_items k SET
          status = CASE WHEN s.bad > 0 THEN 'failed' ELSE 'ready' END,
          error = CASE WHEN s.bad > 0 THEN coalesce($2, s.last_error, 'ingest failed') ELSE NULL END,
          updated_at = clock_timestamp()
         FROM (SELECT count(*) FILTER (WHERE status IN ('queued', 'running')) AS live,
                      count(*) FILTER (WHERE status IN ('failed', 'cancelled')) AS bad,
                      max(last_error) FILTER (WHERE status = 'failed') AS last_error
                 FROM ingest_jobs WHERE org_id = $3 AND knowledge_item_id = $1) s
        WHERE k.org_id = $3 AND k.id = $1 AND s.live = 0`,
      [itemId, error, this.org()],
    );
  }
}
