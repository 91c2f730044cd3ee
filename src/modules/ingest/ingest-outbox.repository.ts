import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DatabaseConfig, IngestConfig, ProcessConfig, sessionWorkerUrl } from '../../config/slices.js';
import type { JobKind } from './ingest.types.js';
import type { OutboxRow } from './queue.config.js';

/** SQLSTATE lock_not_available: ingest_dispatch_claim(..., p_wait => false) found another claim running. */
const LOCK_BUSY = '55P03';

/**
 * Which of the dispatcher's two claim connections a claim runs on: `new` for new work (a NOTIFY,
 * the poll), `refill` for the batched refills after finished jobs. Separate sessions, so a new
 * job's claim never waits behind a refill's hand-over to Redis, only behind its claim statement.
 */
export type ClaimLane = 'new' | 'refill';

export interface QueueStat {
  kind: JobKind;
  org_id: string;
  status: 'queued' | 'running';
  jobs: string;
  oldest_queued_at: Date;
}

/**
 * The dispatcher's only access to Postgres outside a tenant transaction: it calls the SECURITY
 * DEFINER functions of the IngestJobs, IngestClaimOneStatement and IngestLeases migrations (owned by
 * rocker_dispatch), which see routing columns of every org and nothing else. No table is read or
 * written here directly. Only the worker role (DATABASE_WORKER_URL) may call them (WorkerRole
 * migration), so every connection here is the worker role's, in an all-in-one process too.
 *
 * Claims go over connections of their own (not the request pool; one per ClaimLane), with
 * synchronous_commit off for the session (a session setting, so it is a direct connection, DATABASE_DIRECT_URL when set,
 * like the LISTEN one: a transaction pooler would drop the setting): a claim lost in a database crash is claimed again, and the queue drops the
 * duplicate by job id (or the worker skips a row that is no longer queued).
 */
@Injectable()
export class IngestOutboxRepository implements OnApplicationShutdown {
  private readonly logger = new Logger('IngestOutbox');
  private listener: pg.Client | null = null;
  private readonly claimers = new Map<ClaimLane, Promise<pg.Client>>();
  private stopped = false;
  /** The reconciler, reaper and gauges: a small pool of the worker role's (connections made on demand). */
  private readonly pool: pg.Pool;

  constructor(
    @Inject(IngestConfig) private readonly ingestConfig: IngestConfig,
    @Inject(DatabaseConfig) private readonly databaseConfig: DatabaseConfig,
    @Inject(ProcessConfig) private readonly processConfig: ProcessConfig,
  ) {
    this.pool = new pg.Pool({
      connectionString: this.workerUrl(),
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: databaseConfig.poolTimeoutMs,
      application_name: `rocker-${processConfig.role}-dispatch`,
    });
    this.pool.on('error', () => undefined); // an idle client lost: the next query reconnects
  }

  private workerUrl(): string {
    if (!this.databaseConfig.workerUrl) throw new Error('DATABASE_WORKER_URL is required where workers run');
    return this.databaseConfig.workerUrl;
  }

  /** The worker role on a direct connection (DATABASE_DIRECT_URL's server), for LISTEN and the claim session. */
  private sessionUrl(): string {
    this.workerUrl();
    return sessionWorkerUrl(this.databaseConfig)!;
  }

  /**
   * Claims rows (one statement: the claim lock is held only while it runs on the server), then
   * hands them to `send`. If `send` throws (Redis down), the rows are given back and stay
   * undispatched. With `wait` false, answers null at once when another claim is running.
   */
  async claim(
    send: (rows: OutboxRow[]) => Promise<void>,
    max: number,
    wait = true,
    lane: ClaimLane = 'new',
  ): Promise<number | null> {
    const client = await this.claimClient(lane);
    let rows: OutboxRow[];
    try {
      rows = (
        await client.query<OutboxRow>(`SELECT * FROM ingest_dispatch_claim($1, $2, $3, $4)`, [
          this.ingestConfig.orgConcurrency,
          this.ingestConfig.dispatchWindow,
          max,
          wait,
        ])
      ).rows;
    } catch (e) {
      if ((e as { code?: string }).code === LOCK_BUSY) return null;
      throw e;
    }
    if (!rows.length) return 0;
    try {
      await send(rows);
    } catch (e) {
      // If this fails too, the reconciler re-sends the rows once they have been dispatched a while.
      await client
        .query(`SELECT ingest_dispatch_unclaim($1::uuid[], $2::uuid[])`, [
          [...new Set(rows.map((r) => r.org_id))],
          rows.map((r) => r.id),
        ])
        .catch(() => undefined);
      throw e;
    }
    return rows.length;
  }

  /** A lane's claim connection, (re)connected on demand; dropped on error so the next claim reconnects. */
  private claimClient(lane: ClaimLane): Promise<pg.Client> {
    const open = this.claimers.get(lane);
    if (open) return open;
    if (this.stopped) return Promise.reject(new Error('the dispatcher is shutting down'));
    const client = new pg.Client({
      connectionString: this.sessionUrl(),
      application_name: `rocker-${this.processConfig.role}-dispatch`,
      options: '-c synchronous_commit=off',
    });
    const drop = () => {
      if (this.claimers.get(lane) === connecting) this.claimers.delete(lane);
      client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', drop);
    const connecting = client.connect().then(
      () => client,
      (e: unknown) => {
        drop();
        throw e;
      },
    );
    this.claimers.set(lane, connecting);
    return connecting;
  }

  async dispatchedQueued(olderThanMs: number, max: number): Promise<OutboxRow[]> {
    return (await this.pool.query<OutboxRow>(`SELECT * FROM ingest_dispatched_queued($1, $2)`, [olderThanMs, max])).rows;
  }

  /**
   * Running rows whose lease expired (their worker died, or lost Postgres for longer than the
   * lease) go back to queued and undispatched, under a new epoch: ingest_reap_expired. Answers how many.
   */
  async reapExpired(max: number): Promise<number> {
    const [row] = (await this.pool.query<{ n: number }>(`SELECT ingest_reap_expired($1) AS n`, [max])).rows;
    return row?.n ?? 0;
  }

  async stats(): Promise<QueueStat[]> {
    return (await this.pool.query<QueueStat>(`SELECT * FROM ingest_queue_stats()`)).rows;
  }

  /**
   * LISTEN ingest_jobs on a dedicated connection (re-established after errors); calls `onNotify`
   * at each commit that queued ('new') or finished ('done') a job.
   */
  async listen(onNotify: (what: 'new' | 'done') => void): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.sessionUrl(),
      application_name: `rocker-${this.processConfig.role}-listen`,
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
    const claimers = [...this.claimers.values()];
    this.claimers.clear();
    await l?.end().catch(() => undefined);
    await Promise.all(claimers.map((c) => c.then((client) => client.end()).catch(() => undefined)));
    await this.pool.end().catch(() => undefined);
  }
}
