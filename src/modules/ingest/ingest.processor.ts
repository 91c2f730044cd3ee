import {
  Optional,
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { ClsService } from 'nestjs-cls';
import { IngestConfig, ProcessConfig, RedisConfig } from '../../config/slices.js';
import { TENANT_KEY, TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { jobDuration, jobWait, workerRestarts } from '../../common/metrics/metrics.js';
import { IngestRepository } from './ingest.repository.js';
import { OrgSlots } from './org-slots.js';
import {
  tenantOfJob,
  JOB_HANDLER,
  JobHandedBackError,
  JobKind,
  LeaseLostError,
  PermanentJobError,
  queueNameOf,
  type IngestHandler,
} from './ingest.types.js';
import { IngestQueues } from './ingest.queues.js';
import { IngestDispatcher } from './ingest.dispatcher.js';
import { runJobHandler } from './run-handler.js';
import { JobPayloadParser } from './job-payloads.js';
import { LimitsService } from '../limits/limits.service.js';
import { Charges } from '../limits/charges.service.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { bullPrefix, generationOfBullId, type QueueJobData } from './queue.config.js';
import { RedisFactory, type RedisClient } from '../../redis/redis.factory.js';
import { Admission } from '../../common/admission/admission.js';
import { WorkerWatchdog } from './worker-watchdog.js';

/**
 * BullMQ's refusals of promote for an id that is no longer a delayed job: the script's codes on the
 * error (ErrorCode.JobNotExist -1, JobNotInState -3).
 */
export const notParked = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code;
  return code === -1 || code === -3;
};

/**
 * A job whose worker died (lock lost) more than this many times is failed by BullMQ on its next
 * pick-up, without running the handler (a poison job must not kill workers forever); the 'failed'
 * listener below then marks its row failed, so it can be retried through the API.
 */
export const MAX_STALLED = 3;

/** Of SHUTDOWN_GRACE_MS, what is kept for handing running jobs back and closing the rest of the process. */
export const HANDBACK_RESERVE_MS = 2500;

/**
 * What a running job counts for in its org's share of an all-in-one process's offered load, per
 * tick of JOB_LOAD_TICK_MS while it runs (a read is 1, a costly request 10): a job that keeps the
 * process busy for seconds weighs as a steady stream of requests, not as one request at its start.
 */
/**
 * The rate policy a job kind's engine work is charged to, as the request routes that use the same
 * engine are: an embed job's model inputs to `embeddings` (Charges.gate before its first attempt
 * starts, the rest when its writes commit, so attempts lost to a system failure take nothing more).
 */
const JOB_POLICY: Partial<Record<JobKind, RatePolicy>> = { [JobKind.Embed]: RatePolicy.Embeddings };

const JOB_LOAD_PER_TICK = 25;
const JOB_LOAD_TICK_MS = 250;

/** A waiting copy asks its row whether it is still wanted once it is this old (IngestProcessor.stillWanted)... */
const STALE_CHECK_AFTER_MS = 1000;
/** ...and again at most this often. */
const STALE_CHECK_EVERY_MS = 2000;
/** Copies whose last ask is remembered (cleared past it: they ask again). */
const STALE_CHECKS_KEPT = 10_000;

/** Resolves `value` after `ms` unless cancelled (the timer never outlives the race it is in). */
function after<T>(ms: number, value: T): { done: Promise<T>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(value), ms)));
  return { done, cancel: () => clearTimeout(timer) };
}

/** One worker of this process, its own connection, and the jobs it has started and runs now (for the watchdog). */
interface WorkerSlot {
  worker: Worker<QueueJobData>;
  connection: RedisClient;
  jobs: { started: number; running: number };
}

const jobTenant = (data: QueueJobData): TenantContext =>
  tenantOfJob({ jobId: data.job_id, orgId: data.org_id, requestId: data.request_id ?? null });

/**
 * The BullMQ workers (one per JobKind) and the job lifecycle around each handler:
 * per-org slot → row queued→running under a new lease epoch (own transaction) → the handler's
 * reads and slow work (no transaction held while it computes; the lease and the slot renewed
 * meanwhile) → lease check + its writes + row succeeded (one transaction, so a crash mid-job leaves
 * no half result and a stale worker commits nothing) → on error, retry or failed. On shutdown a job
 * that does not finish within the grace is handed back: row queued (no attempt spent), BullMQ job
 * delayed for another worker.
 */
@Injectable()
export class IngestProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('IngestProcessor');
  private readonly handlers = new Map<JobKind, IngestHandler>();
  /** The current worker of each kind. */
  private readonly workers = new Map<JobKind, WorkerSlot>();
  /** Workers the watchdog replaced, until their close completes (shutdown waits for them too). */
  private readonly retired = new Set<Promise<void>>();
  private watchdogTimer?: NodeJS.Timeout;
  /** Set first thing at shutdown: the watchdog replaces nothing after it. */
  private stopping = false;
  private lastWarn = 0;
  /** When each waiting copy last asked its row whether it is still wanted (stillWanted), by queue job id. */
  private readonly wantedAt = new Map<string, number>();
  /** Aborted when the process stops: every running job's signal follows it. */
  private readonly shutdown = new AbortController();
  /** Written into the leases this process holds, for operators. */
  private readonly owner = `${hostname()}:${process.pid}`.slice(0, 200);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly cls: ClsService,
    private readonly tenants: TenantTransactions,
    private readonly jobs: IngestRepository,
    private readonly slots: OrgSlots,
    @Inject(IngestConfig) private readonly ingestConfig: IngestConfig,
    @Inject(RedisConfig) private readonly redisConfig: RedisConfig,
    @Inject(ProcessConfig) private readonly processConfig: ProcessConfig,
    private readonly queues: IngestQueues,
    private readonly dispatcher: IngestDispatcher,
    private readonly orgLimits: LimitsService,
    private readonly payloads: JobPayloadParser,
    private readonly redisFactory: RedisFactory,
    private readonly charges: Charges,
    /** The API's admission controller when this process serves requests too (ROCKER_ROLE=all). */
    @Optional() private readonly admission?: Admission,
  ) {}

  onApplicationBootstrap(): void {
    for (const w of this.discovery.getProviders()) {
      if (!w.instance) continue;
      // The kind is read from the provider's token first, so a test double put in its place
      // (Nest's provider override: same token, another class or a value) handles the same kind.
      const marked = [w.token, w.metatype].find(
        (t): t is Type => typeof t === 'function' && this.reflector.get<JobKind | undefined>(JOB_HANDLER, t as Type) !== undefined,
      );
      if (!marked) continue;
      const kind = this.reflector.get<JobKind>(JOB_HANDLER, marked);
      if (this.handlers.has(kind)) throw new Error(`two handlers for job kind ${kind}`);
      this.handlers.set(kind, w.instance as IngestHandler);
    }
    for (const kind of Object.values(JobKind)) this.workers.set(kind, this.createWorker(kind));
    this.startWatchdog();
    this.logger.log({
      msg: 'ingest workers started',
      handlers: [...this.handlers.keys()],
      concurrency: this.ingestConfig.workerConcurrency,
      crawl_concurrency: this.ingestConfig.crawlConcurrency,
    });
  }

  /** Jobs of `kind` this process runs at once: crawls wait on remote servers, so more of them. */
  private concurrencyOf(kind: JobKind): number {
    return kind === JobKind.Crawl ? this.ingestConfig.crawlConcurrency : this.ingestConfig.workerConcurrency;
  }

  /**
   * A worker on a connection of its own: BullMQ runs a worker's commands on the client it is given
   * (it only duplicates it for the blocking fetch), so workers sharing one would share a wedge, and
   * a replacement on it would be wedged too. The connection retries every command forever (BullMQ
   * requires it); the worker does not own it, so it is disconnected after the worker closes.
   */
  private createWorker(kind: JobKind): WorkerSlot {
    const connection = this.redisFactory.create('worker', 'blocking');
    const jobs = { started: 0, running: 0 };
    const worker = new Worker<QueueJobData>(queueNameOf(kind), (job, token) => this.track(jobs, () => this.process(job, token)), {
      connection,
      prefix: bullPrefix(this.redisConfig, kind),
      concurrency: this.concurrencyOf(kind),
      lockDuration: this.ingestConfig.lockMs,
      stalledInterval: this.ingestConfig.lockMs,
      maxStalledCount: MAX_STALLED,
    });
    worker.on('error', (e) => this.warn(`worker ${kind}: ${e.message}`));
    worker.on('failed', (job, err) => {
      // Failures thrown by process() have already written their row; only BullMQ's own verdicts land here.
      if (job?.deferredFailure) void this.failStalled(job, err.message);
    });
    return { worker, connection, jobs };
  }

  /** Counts a job a worker starts and runs (the watchdog's evidence of life). */
  private async track(jobs: WorkerSlot['jobs'], run: () => Promise<void>): Promise<void> {
    jobs.started++;
    jobs.running++;
    try {
      await run();
    } finally {
      jobs.running--;
    }
  }

  /**
   * Closes a worker (`force`: without waiting for its running jobs) within `ms`, then its
   * connection (which rejects whatever still waits on it).
   */
  private async closeWorker(slot: WorkerSlot, force: boolean, ms: number): Promise<boolean> {
    const limit = after(ms, false);
    const closed = await Promise.race([slot.worker.close(force).then(() => true, () => true), limit.done]);
    limit.cancel();
    slot.connection.disconnect();
    return closed;
  }

  /**
   * Every third of INGEST_WATCHDOG_MS, each kind's queue is asked how many jobs wait ready (the
   * queue's own connection, bounded by a timeout); a worker that had room for them and started none
   * for INGEST_WATCHDOG_MS is closed and replaced by a new one on new connections (WorkerWatchdog).
   */
  private startWatchdog(): void {
    const stallMs = this.ingestConfig.watchdogMs;
    if (stallMs <= 0) return;
    const watchdog = new WorkerWatchdog<JobKind>(stallMs);
    let checking = false;
    this.watchdogTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.checkWorkers(watchdog, stallMs).finally(() => (checking = false));
    }, Math.max(100, Math.floor(stallMs / 3)));
    this.watchdogTimer.unref();
  }

  /** One round of the watchdog over every kind's worker. */
  private async checkWorkers(watchdog: WorkerWatchdog<JobKind>, stallMs: number): Promise<void> {
    for (const [kind, slot] of this.workers) {
      const queue = this.queues.get(kind);
      if (!queue || slot.worker.closing || this.stopping) continue;
      const timeout = after(Math.min(5000, stallMs), null);
      const counts = await Promise.race([queue.getJobCounts('wait', 'prioritized').catch(() => null), timeout.done]);
      timeout.cancel();
      if (!counts) continue; // Redis unreachable: nothing to tell about the worker
      const ready = (counts.wait ?? 0) + (counts.prioritized ?? 0);
      const state = { ...slot.jobs, concurrency: this.concurrencyOf(kind) };
      // the count was awaited: shutdown may have begun, or the slot been replaced, meanwhile
      if (!watchdog.check(kind, ready, state) || this.stopping || this.workers.get(kind) !== slot) continue;
      this.logger.warn({ msg: 'ingest worker wedged: replaced by a new one', queue: kind, ready, after_ms: stallMs });
      workerRestarts.inc({ queue: kind });
      this.workers.set(kind, this.createWorker(kind));
      // Its jobs still running (stuck on the wedged connection) lose their BullMQ lock and are run
      // again by another worker; their leases keep a stale run from committing.
      const closing = this.closeWorker(slot, true, 5000).then(() => undefined);
      this.retired.add(closing);
      void closing.finally(() => this.retired.delete(closing));
    }
  }

  /**
   * SIGTERM: stop taking jobs (BullMQ close), let the running ones finish until HANDBACK_RESERVE_MS
   * before SHUTDOWN_GRACE_MS, then abort them: each is handed back (see process) and the close
   * completes. The process exits within the grace (bootstrap's exitWithin covers anything stuck).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const t0 = Date.now();
    this.stopping = true;
    clearInterval(this.watchdogTimer);
    const grace = this.processConfig.shutdownGraceMs;
    const closed = Promise.all([
      ...[...this.workers.values()].map((slot) => this.closeWorker(slot, false, grace)),
      ...this.retired,
    ]).then(() => true);
    const drain = after(Math.max(0, grace - HANDBACK_RESERVE_MS), false);
    const finished = await Promise.race([closed, drain.done]);
    drain.cancel();
    if (finished) return;
    this.logger.warn({ msg: 'shutdown: running ingest jobs are handed back to the queue', after_ms: Date.now() - t0 });
    this.shutdown.abort(new JobHandedBackError());
    const rest = after(HANDBACK_RESERVE_MS - 1000, false);
    if (!(await Promise.race([closed, rest.done]))) this.logger.warn({ msg: 'shutdown: the ingest workers did not close in time' });
    rest.cancel();
  }

  /** This process's BullMQ worker for `kind` now (the watchdog may have replaced the first one), and its connection. */
  workerOf(kind: JobKind): { worker: Worker; connection: RedisClient } | undefined {
    const slot = this.workers.get(kind);
    return slot && { worker: slot.worker, connection: slot.connection };
  }

  handlerFor(kind: JobKind): IngestHandler | undefined {
    return this.handlers.get(kind);
  }

  async process(job: Job<QueueJobData>, token?: string): Promise<void> {
    const { org_id: orgId, job_id: jobId, kind } = job.data;
    const ctx = jobTenant(job.data);
    // The whole run in one CLS context with the tenant set: every log line carries org_id and request_id.
    return this.cls.run(async () => {
      this.cls.set(TENANT_KEY, ctx);
      const { limit, rate } = await this.limitOf(ctx);
      const slot = await this.slots.acquire(orgId, jobId, limit, rate);
      if (!slot.ok) {
        if (slot.full) {
          // A copy its row no longer wants (the job cancelled, or retried as a newer generation)
          // ends here: it would wait through delayed for as long as the org's slots stay held, each
          // wait a move and a park (a cancel/retry storm left about 400 such copies cycling).
          if (!(await this.stillWanted(ctx, jobId, job))) {
            // its entry from an earlier park goes too (else one per cancelled copy until releases pop them)
            await this.slots.unpark(orgId, `${kind}|${job.id}`).catch(() => undefined);
            this.logger.log({ msg: 'ingest job skipped: no longer queued', job_id: jobId, kind });
            jobDuration.observe({ queue: queueNameOf(kind), org: orgLabel(orgId), outcome: 'skipped' }, 0);
            return;
          }
          // The org is at its limit: back to delayed, no attempt spent; a released slot wakes it sooner.
          await job.moveToDelayed(Date.now() + this.ingestConfig.slotRetryMs * (1 + Math.random()), token);
          // a slot freed since the take woke no one: the park answers the first parked job to wake
          await this.wake(orgId, await this.slots.park(orgId, `${kind}|${job.id}`, limit).catch(() => null));
        } else {
          // Over the org's start rate: back to delayed until its next start is due, no attempt spent.
          await job.moveToDelayed(Date.now() + slot.waitMs + Math.random() * 20, token);
        }
        throw new DelayedError();
      }
      // A kind that spends a costly engine takes its turn from the org's bucket of that policy first:
      // over it, the job gives its slot back and waits until the bucket has room (no attempt spent).
      // An automatic retry (an attempt after a system failure) was admitted already and takes nothing.
      const policy = JOB_POLICY[kind];
      const wait = policy && job.attemptsMade === 0 ? await this.charges.gate(ctx, policy) : 0;
      if (wait > 0) {
        await this.wake(orgId, await this.slots.release(orgId, jobId).catch(() => null));
        await job.moveToDelayed(Date.now() + wait + Math.random() * 20, token);
        throw new DelayedError();
      }
      // In a process that also serves requests, the running job is this org's load on it (admission's shares).
      const admission = this.processConfig.role === 'worker' ? undefined : this.admission;
      admission?.charge(orgId, JOB_LOAD_PER_TICK);
      const load = admission && setInterval(() => admission.charge(orgId, JOB_LOAD_PER_TICK), JOB_LOAD_TICK_MS);
      // The job's signal: aborted at shutdown (hand back) or when its lease is found lost.
      const ac = new AbortController();
      const onShutdown = () => ac.abort(this.shutdown.signal.reason);
      this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
      let epoch: number | null = null;
      const renew = setInterval(
        () => {
          void this.slots.acquire(orgId, jobId, limit, rate).catch(() => undefined);
          if (epoch !== null) void this.renewLease(ctx, jobId, epoch, ac);
        },
        Math.max(100, Math.floor(Math.min(this.ingestConfig.lockMs, this.ingestConfig.leaseMs) / 3)),
      );
      const queue = queueNameOf(kind);
      const t0 = performance.now();
      const observe = (outcome: string) =>
        jobDuration.observe({ queue, org: orgLabel(orgId), outcome }, (performance.now() - t0) / 1000);
      try {
        if (this.shutdown.signal.aborted) {
          // Taken while the process was stopping: straight back to the queue, nothing started.
          return await this.requeue(job, token);
        }
        // Asynchronous commit: the job's final commit below (synchronous) flushes it too; a crash in
        // between re-runs the job, which the row then allows (running → running, a new epoch).
        const started = await this.tenants.run(ctx, () => this.jobs.start(jobId, generationOfBullId(job.id), this.owner, this.ingestConfig.leaseMs), 'job', {
          asyncCommit: true,
        });
        if (!started) {
          this.logger.log({ msg: 'ingest job skipped: no longer queued', job_id: jobId, kind });
          observe('skipped');
          return;
        }
        epoch = started.lease_epoch;
        if (started.wait_s !== null) jobWait.observe({ queue, org: orgLabel(orgId) }, started.wait_s);
        if (started.attempts > started.max_attempts) {
          // Its worker stopped during the last attempt (the lease expired and the reaper queued it again).
          const message = `the worker running this job stopped before finishing (its lease expired) on each of its ${started.max_attempts} attempts; retry it once the cause is fixed`;
          await this.tenants.run(ctx, () => this.jobs.fail(jobId, started.knowledge_item_id, message, epoch!), 'job');
          observe('failed');
          this.logger.warn({ msg: 'ingest job failed: out of attempts', job_id: jobId, kind, error: message });
          throw new UnrecoverableError(message);
        }
        this.logger.log({ msg: 'ingest job started', job_id: jobId, kind, attempt: started.attempts, lease_epoch: epoch });
        try {
          const handler = this.handlers.get(kind);
          if (!handler) throw new PermanentJobError(`no handler for ${kind}`);
          // The payload's one check against its kind: a bad one fails the job at once (InvalidPayloadError).
          const payload = this.payloads.parse(kind, { payload: started.payload, knowledgeItemId: started.knowledge_item_id });
          // The handler's slow part runs outside any transaction; the lease check, its writes and
          // the row's `succeeded` commit together.
          const held = epoch;
          await runJobHandler(
            this.tenants,
            ctx,
            handler,
            {
              jobId,
              orgId,
              kind,
              knowledgeItemId: started.knowledge_item_id,
              payload,
              attempt: started.attempts,
              work: job.id ?? jobId,
              requestId: job.data.request_id,
              signal: ac.signal,
            },
            {
              before: () => this.jobs.holdLease(jobId, held),
              finish: () => this.jobs.succeed(jobId, started.knowledge_item_id),
            },
          );
          observe('succeeded');
          this.logger.log({ msg: 'ingest job succeeded', job_id: jobId, kind });
        } catch (e) {
          const why = ac.signal.aborted ? (ac.signal.reason as unknown) : e;
          if (why instanceof JobHandedBackError) {
            const back = await this.tenants
              .run(ctx, () => this.jobs.handBack(jobId, epoch!), 'job')
              .catch((err: unknown) => (this.logger.error({ msg: 'could not hand an ingest job back', job_id: jobId, err }), false));
            observe('handed_back');
            this.logger.warn({ msg: 'ingest job handed back (shutdown)', job_id: jobId, kind, row_queued: back });
            return await this.requeue(job, token);
          }
          if (why instanceof LeaseLostError) {
            // Another worker runs it, or the reaper queued it again: this run's result is dropped.
            observe('lease_lost');
            this.logger.warn({ msg: 'ingest job dropped: its lease was lost', job_id: jobId, kind, lease_epoch: epoch });
            return await this.requeue(job, token);
          }
          const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
          const permanent = e instanceof PermanentJobError;
          const last =
            permanent || started.attempts >= started.max_attempts || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          await this.tenants.run(
            ctx,
            () =>
              last
                ? this.jobs.fail(jobId, started.knowledge_item_id, message, epoch!)
                : this.jobs.attemptFailed(jobId, epoch!, message),
            'job',
          );
          observe(last ? 'failed' : 'retry');
          this.logger.warn({
            msg: last ? 'ingest job failed' : 'ingest job attempt failed, will retry',
            job_id: jobId,
            kind,
            error: message,
          });
          throw last ? new UnrecoverableError(message) : e;
        }
      } finally {
        clearInterval(renew);
        clearInterval(load);
        this.shutdown.signal.removeEventListener('abort', onShutdown);
        await this.wake(orgId, await this.slots.release(orgId, jobId).catch(() => null));
        // Room in the org's window: refill through this process's dispatcher (no NOTIFY, see IngestNotifyNewOnly).
        this.dispatcher.kickSoon();
      }
    });
  }

  /**
   * Returns the BullMQ job to the queue at once (delayed until now, no attempt spent) for any
   * worker to take. If this worker no longer holds the job (another one took it over), nothing to do.
   */
  private async requeue(job: Job<QueueJobData>, token?: string): Promise<never> {
    await job.moveToDelayed(Date.now(), token).catch(() => undefined);
    throw new DelayedError();
  }

  /** Pushes the job's lease forward; a lost lease aborts the job (its commit would be refused anyway). */
  private async renewLease(ctx: TenantContext, jobId: string, epoch: number, ac: AbortController): Promise<void> {
    try {
      const held = await this.tenants.run(ctx, () => this.jobs.renewLease(jobId, epoch, this.ingestConfig.leaseMs), 'job', {
        asyncCommit: true,
      });
      if (!held && !ac.signal.aborted) ac.abort(new LeaseLostError(jobId));
    } catch (e) {
      // Postgres unreachable: keep going; the commit re-checks the epoch.
      this.warn(`lease renewal of ${jobId}: ${(e as Error).message}`);
    }
  }

  /** BullMQ failed the job without running it (stalled more than MAX_STALLED times): the row follows. */
  private async failStalled(job: Job<QueueJobData>, reason: string): Promise<void> {
    const { org_id: orgId, job_id: jobId, kind } = job.data;
    const message = `the worker running this job stopped ${job.stalledCounter ?? MAX_STALLED + 1} times (${reason}); retry it once the cause is fixed`;
    try {
      // TenantTransactions.run opens the CLS context with the job's tenant itself.
      await this.tenants.run(
        jobTenant(job.data),
        async () => {
          const row = await this.jobs.get(jobId);
          if (row) await this.jobs.fail(jobId, row.knowledge_item_id, message);
        },
        'job',
      );
      // Counted with the other failures (the failure-rate alert reads outcome="failed"); it ran for no time here.
      jobDuration.observe({ queue: queueNameOf(kind), org: orgLabel(orgId), outcome: 'failed' }, 0);
      this.logger.warn({ msg: 'ingest job failed: stalled too often', job_id: jobId, kind, error: message });
      this.dispatcher.kickSoon();
    } catch (e) {
      this.logger.error({ msg: 'could not mark a stalled job failed', job_id: jobId, kind, err: e });
    }
  }

  /**
   * Whether the row still wants this copy (queued or running, at the copy's generation); true when
   * Postgres cannot say (the copy then waits as before, and its start checks the row again). Asked
   * only of a copy that has waited STALE_CHECK_AFTER_MS, at most once per STALE_CHECK_EVERY_MS: in
   * a busy org's pipeline nearly every copy finds the org full once and runs within milliseconds,
   * and a transaction each cost its jobs 0.4 ms of worker and 1.2 ms of Postgres CPU
   * (bench:fairness, A alone: 155 against 171 jobs/s).
   */
  private async stillWanted(ctx: TenantContext, jobId: string, job: Job<QueueJobData>): Promise<boolean> {
    const now = Date.now();
    const id = job.id ?? jobId;
    if (now - job.timestamp < STALE_CHECK_AFTER_MS || now - (this.wantedAt.get(id) ?? 0) < STALE_CHECK_EVERY_MS) return true;
    if (this.wantedAt.size >= STALE_CHECKS_KEPT) this.wantedAt.clear();
    this.wantedAt.set(id, now);
    const wanted = await this.tenants.run(ctx, () => this.jobs.wanted(jobId, generationOfBullId(job.id)), 'job').catch(() => true);
    if (!wanted) this.wantedAt.delete(id);
    return wanted;
  }

  /** Wakes `parked` (see wakeParked), if any; a failure only logs: the parked jobs still run when their delay ends (INGEST_SLOT_RETRY_MS), later. */
  private async wake(orgId: string, parked: string | null): Promise<void> {
    if (parked) await this.wakeParked(orgId, parked).catch((e) => this.warn(`could not wake a parked job of org ${orgId}: ${String(e)}`));
  }

  /**
   * Promotes `first`, the parked job the released slot popped, or if it no longer waits in delayed
   * (a stale entry: promote refuses it) the next parked ones.
   */
  private async wakeParked(orgId: string, first: string): Promise<void> {
    let entry: string | null = first;
    for (let i = 0; i < 4 && entry; i++) {
      const [kind, id] = entry.split('|') as [JobKind, string];
      // promote by id, one script (no read of the job first): it refuses an id not waiting in delayed
      // (finished, removed or already due: try the next parked one); any other error (Redis away)
      // ends the loop, and the parked jobs run when their delay ends
      const queue = this.queues.get(kind);
      const promoted = await queue?.backend.promote(id).then(
        () => true,
        (e: unknown) => {
          if (notParked(e)) return false;
          throw e;
        },
      );
      if (promoted) return;
      entry = await this.slots.nextParked(orgId);
    }
  }

  /**
   * limit(org): its job_concurrency, else INGEST_ORG_CONCURRENCY; rate(org): its job_rate, else
   * INGEST_ORG_RATE (0 = none). From LimitsService, which caches them and drops an org's entry when
   * an admin changes its limits.
   */
  private async limitOf(ctx: TenantContext): Promise<{ limit: number; rate: number }> {
    const own = await this.orgLimits.forTenant(ctx);
    return { limit: own.job_concurrency ?? this.ingestConfig.orgConcurrency, rate: own.job_rate ?? this.ingestConfig.orgRate };
  }

  private warn(msg: string): void {
    if (Date.now() - this.lastWarn < 5000) return;
    this.lastWarn = Date.now();
    this.logger.warn(msg);
  }
}
