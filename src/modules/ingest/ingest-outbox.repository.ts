import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import pg from 'pg';
import { ENV, type Env } from '../../config/env.js';
import type { JobKind } from './ingest.types.js';
import type { OutboxRow } from './queue.config.js';

/** The advisory lock ingest_dispatch_claim serialises on (see the IngestJobs migration). */
const CLAIM_LOCK = '1764100300000';

export interface QueueStat {
  kind: JobKind;
  org_id: string;
  status: 'queued' | 'running';
  jobs: string;
  oldest_queued_at: Date;
}

/**
 * The dispatcher's only access to Postgres outside a tenant transaction: it calls the three
 * SECURITY DEFINER functions of the IngestJobs migration (owned by rocker_dispatch), which see
 * routing columns of every org and nothing else. No table is read or written here directly.
 */
@Injectable()
export class IngestOutboxRepository implements OnApplicationShutdown {
  private readonly logger = new Logger('IngestOutbox');
  private listener: pg.Client | null = null;
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(ENV) private readonly env: Env,
  ) {}

  /**
   * Claims rows and hands them to `send` inside one transaction: if `send` throws (Redis down),
   * the claim rolls back and the rows stay undispatched. With `wait` false, answers null at once
   * when another claim is running.
   */
  async claim(send: (rows: OutboxRow[]) => Promise<void>, max: number, wait = true): Promise<number | null> {
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      // No WAL flush wait: a claim lost in a database crash is claimed again, and the queue drops
      // the duplicate by job id (or the worker skips a row that is no longer queued).
      await qr.query(`SET LOCAL synchronous_commit = off`);
      // A refill gives way when another dispatcher is claiming (same lock the function takes; it is re-entrant).
      if (
        !wait &&
        !(await qr.query(`SELECT pg_try_advisory_xact_lock($1::bigint) AS ok`, [CLAIM_LOCK]))[0].ok
      ) {
        await qr.rollbackTransaction();
        return null;
      }
      const rows: OutboxRow[] = await qr.query(`SELECT * FROM ingest_dispatch_claim($1, $2, $3)`, [
        this.env.INGEST_ORG_CONCURRENCY,
        this.env.INGEST_DISPATCH_WINDOW,
        max,
      ]);
      if (rows.length) await send(rows);
      await qr.commitTransaction();
      return rows.length;
    } catch (e) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await qr.release();
    }
  }

  dispatchedQueued(olderThanMs: number, max: number): Promise<OutboxRow[]> {
    return this.ds.query(`SELECT * FROM ingest_dispatched_queued($1, $2)`, [olderThanMs, max]);
  }

  stats(): Promise<QueueStat[]> {
    return this.ds.query(`SELECT * FROM ingest_queue_stats()`);
  }

  /**
   * LISTEN ingest_jobs on a dedicated connection (re-established after errors); calls `onNotify`
   * at each commit that queued ('new') or finished ('done') a job.
   */
  async listen(onNotify: (what: 'new' | 'done') => void): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.env.DATABASE_URL,
      application_name: `rocker-${this.env.ROCKER_ROLE}-listen`,
    });
    const retry = () => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(onNotify), 1000).unref();
    };
    this.listener = client;
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (n) => onNotify(n.payload === 'done' ? 'done' : 'new'));
    try {
      await client.connect();
      await client.query('LISTEN ingest_jobs');
      onNotify('new'); // anything committed while we were not listening
    } catch (e) {
      this.logger.warn(`LISTEN failed, retrying: ${(e as Error).message}`);
      retry();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const l = this.listener;
    this.listener = null;
    await l?.end().catch(() => undefined);
  }
}
