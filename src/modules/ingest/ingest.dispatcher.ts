import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../../redis/redis.factory.js';
import { IngestConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { queueJobs, queueOldestQueuedSeconds } from '../../common/metrics/metrics.js';
import { FleetLease } from './fleet-lease.js';
import { IngestOutboxRepository, type ClaimLane } from './ingest-outbox.repository.js';
import { IngestQueues } from './ingest.queues.js';
import { JobKind, queueNameOf } from './ingest.types.js';
import { bullJobId, bullJobOptions, type OutboxRow, type QueueJobData } from './queue.config.js';

const BATCH = 500;
const SEND_TIMEOUT_MS = 5000;
const METRICS_EVERY_MS = 5000;
/** The queue gauges' lease outlives two missed samples, then another worker takes over. */
const METRICS_LEASE_MS = 3 * METRICS_EVERY_MS;
/**
 * Refills after finished jobs are batched for this long: every org keeps limit × window jobs in
 * flight, so workers stay fed, and the dispatcher stays free to hand new work over at once.
 */
const REFILL_BATCH_MS = 10;

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('queue did not answer in time')), ms).unref())]);

/**
 * Hands committed ingest_jobs rows to BullMQ (transactional outbox → queue), and returns running rows
 * whose lease expired to the outbox (reap). Woken by LISTEN/NOTIFY
 * at every commit that queued a job, by this process's worker when it finishes one (refill), and
 * by a poll. Claims are per-org
 * windows (see ingest_dispatch_claim): fairness comes from never letting one org flood the queue.
 */
@Injectable()
export class IngestDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('IngestDispatcher');
  private timers: NodeJS.Timeout[] = [];
  /**
   * Passes per lane (ClaimLane): a new job's pass runs beside a refill's, on its own claim
   * connection, so it waits for no refill's hand-over to Redis; passes of one lane never overlap.
   */
  private readonly lanes: Record<ClaimLane, { running: Promise<void> | null; again: boolean }> = {
    new: { running: null, again: false },
    refill: { running: null, again: false },
  };
  private stopped = false;
  private lastWarn = 0;
  private refill: NodeJS.Timeout | null = null;
  private readonly metricsLease: FleetLease;

  constructor(
    private readonly outbox: IngestOutboxRepository,
    @Inject(IngestConfig) private readonly ingestConfig: IngestConfig,
    @Inject(RedisConfig) redisConfig: RedisConfig,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly queues: IngestQueues,
  ) {
    for (const q of this.queues.all()) q.on('error', (e) => this.warn(`queue ${q.name}: ${e.message}`));
    this.metricsLease = new FleetLease(redis, `${redisConfig.prefix}:metrics:queue-sampler`, METRICS_LEASE_MS);
  }

  onApplicationBootstrap(): void {
    void this.outbox.listen((what) => (what === 'new' ? this.kick() : this.kickSoon()));
    this.timers.push(setInterval(() => this.kick(), this.ingestConfig.dispatchIntervalMs));
    this.timers.push(setInterval(() => void this.reconcile().catch((e) => this.warn(`reconcile: ${e.message}`)), Math.max(1000, this.ingestConfig.reconcileAfterMs / 2)));
    void this.sampleMetrics().catch(() => undefined);
    this.timers.push(setInterval(() => void this.sampleMetrics().catch(() => undefined), METRICS_EVERY_MS));
    this.timers.push(setInterval(() => void this.reap().catch((e) => this.warn(`reap: ${e.message}`)), Math.max(250, Math.floor(this.ingestConfig.leaseMs / 2))));
    for (const t of this.timers) t.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.refill) clearTimeout(this.refill);
    await Promise.all([this.lanes.new.running, this.lanes.refill.running]);
    await this.metricsLease.release(); // the next worker takes the gauges over at its next sample
  }

  /**
   * Runs a dispatch pass now, or right after the current one of its lane: new work (a NOTIFY, the
   * poll, a reap) on the `new` lane, which waits for a claim running elsewhere; a refill on the
   * `refill` lane, which gives way to one.
   */
  kick(refill = false): void {
    if (this.stopped) return;
    const lane = refill ? 'refill' : 'new';
    const state = this.lanes[lane];
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = this.loop(lane).finally(() => {
      state.running = null;
    });
  }

  /** A refill a few milliseconds from now (batched): a job finished and freed room in its org's window. */
  kickSoon(): void {
    if (this.refill || this.stopped) return;
    this.refill = setTimeout(() => {
      this.refill = null;
      this.kick(true);
    }, REFILL_BATCH_MS);
  }

  private async loop(lane: ClaimLane): Promise<void> {
    const state = this.lanes[lane];
    do {
      state.again = false;
      // Redis down: leave the rows in the outbox; the poll or the next NOTIFY tries again.
      if (this.redis.status !== 'ready') return;
      try {
        const n = await this.outbox.claim((rows) => this.send(rows), BATCH, lane === 'new', lane);
        if (n === BATCH) state.again = true;
        if (n === null) this.kickSoon(); // another dispatcher was claiming: refill a moment later
      } catch (e) {
        this.warn(`dispatch deferred: ${(e as Error).message}`);
        return;
      }
    } while (state.again && !this.stopped);
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const byKind = new Map<JobKind, OutboxRow[]>();
    for (const r of rows) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
    await withTimeout(
      Promise.all(
        [...byKind].map(([kind, list]) =>
          this.queue(kind).addBulk(
            list.map((r) => ({
              name: kind,
              data: { org_id: r.org_id, job_id: r.id, kind, request_id: r.request_id } satisfies QueueJobData,
              opts: bullJobOptions(this.ingestConfig, r),
            })),
          ),
        ),
      ),
      SEND_TIMEOUT_MS,
    );
  }

  /**
   * Safety net for Redis losing data (a restart without persistence): rows dispatched long ago
   * and still queued whose BullMQ job is gone are sent again under the same job id.
   */
  async reconcile(): Promise<number> {
    if (this.redis.status !== 'ready') return 0;
    const rows = await this.outbox.dispatchedQueued(this.ingestConfig.reconcileAfterMs, BATCH);
    const missing: OutboxRow[] = [];
    for (const r of rows) if (!(await this.queue(r.kind).getJob(bullJobId(r)))) missing.push(r);
    if (missing.length) {
      this.logger.warn({ msg: 'ingest jobs missing from the queue were sent again', jobs: missing.length });
      await this.send(missing);
    }
    return missing.length;
  }

  /**
   * Crash recovery: running rows whose lease expired (worker gone, queue entry maybe gone too, e.g.
   * Redis restarted empty) go back to queued; this dispatcher sends them again at once.
   */
  async reap(): Promise<number> {
    if (this.stopped) return 0;
    const n = await this.outbox.reapExpired(BATCH);
    if (n > 0) {
      this.logger.warn({ msg: 'ingest jobs whose worker stopped renewing their lease were queued again', jobs: n });
      this.kick();
    }
    return n;
  }

  /**
   * rocker_queue_jobs and rocker_queue_oldest_queued_seconds from the database (the record). They
   * are database-wide, so one process in the fleet exports them: the holder of a Redis lease; the
   * others export no sample (a sum over instances would count the backlog once per worker). While
   * Redis is unreachable there is no lease to hold and every worker exports them: dashboards and
   * alerts read them through `max by (queue, org, state)`, which is right either way.
   */
  async sampleMetrics(): Promise<void> {
    const exporting = this.redis.status !== 'ready' || (await this.metricsLease.hold());
    if (!exporting) {
      queueJobs.reset();
      queueOldestQueuedSeconds.reset();
      return;
    }
    const stats = await this.outbox.stats();
    queueJobs.reset();
    queueOldestQueuedSeconds.reset();
    const oldest = new Map<string, number>();
    for (const s of stats) {
      queueJobs.inc({ queue: queueNameOf(s.kind), org: orgLabel(s.org_id), state: s.status }, Number(s.jobs));
      if (s.status === 'queued') {
        const age = (Date.now() - new Date(s.oldest_queued_at).getTime()) / 1000;
        oldest.set(s.kind, Math.max(oldest.get(s.kind) ?? 0, age));
      }
    }
    for (const kind of Object.values(JobKind)) queueOldestQueuedSeconds.set({ queue: queueNameOf(kind) }, oldest.get(kind) ?? 0);
  }

  private queue(kind: JobKind): Queue {
    const q = this.queues.get(kind);
    if (!q) throw new Error(`no queue for job kind ${kind}`);
    return q;
  }

  private warn(msg: string): void {
    if (Date.now() - this.lastWarn < 5000) return; // one line per 5 s while Redis is down
    this.lastWarn = Date.now();
    this.logger.warn(msg);
  }
}
