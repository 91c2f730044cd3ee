import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  type Type,
} from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { ClsService } from 'nestjs-cls';
import { ENV, type Env } from '../../config/env.js';
import { TENANT_KEY, TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { jobDuration, jobWait } from '../../common/metrics/metrics.js';
import { IngestRepository } from './ingest.repository.js';
import { OrgSlots } from './org-slots.js';
import {
  JOB_HANDLER,
  JOB_HANDLER_REPLACES,
  JobKind,
  PermanentJobError,
  queueNameOf,
  type IngestHandler,
} from './ingest.types.js';
import { IngestQueues } from './ingest.queues.js';
import { IngestDispatcher } from './ingest.dispatcher.js';
import { runJobHandler } from './run-handler.js';
import { LimitsService } from '../limits/limits.service.js';
import { bullConnection, type QueueJobData } from './queue.config.js';

/**
 * A job whose worker died (lock lost) more than this many times is failed by BullMQ on its next
 * pick-up, without running the handler (a poison job must not kill workers forever); the 'failed'
 * listener below then marks its row failed, so it can be retried through the API.
 */
export const MAX_STALLED = 3;

/** A job runs as its org, with no user, under the request id that enqueued it. */
function jobTenant(data: QueueJobData): TenantContext {
  return {
    requestId: data.request_id ?? `job-${data.job_id}`,
    userId: null,
    orgId: data.org_id,
    role: null,
    isSuperAdmin: false,
  };
}

/**
 * The BullMQ workers (one per JobKind) and the job lifecycle around each handler:
 * per-org slot → row queued→running (own transaction) → the handler's reads and slow work (no
 * transaction held while it computes) → its writes + row succeeded (one transaction, so a crash
 * mid-job leaves no half result) → on error, retry or failed.
 */
@Injectable()
export class IngestProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('IngestProcessor');
  private readonly handlers = new Map<JobKind, IngestHandler & { replaces?: boolean }>();
  private readonly workers: Worker[] = [];
  private lastWarn = 0;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly cls: ClsService,
    private readonly tenants: TenantTransactions,
    private readonly jobs: IngestRepository,
    private readonly slots: OrgSlots,
    @Inject(ENV) private readonly env: Env,
    private readonly queues: IngestQueues,
    private readonly dispatcher: IngestDispatcher,
    private readonly orgLimits: LimitsService,
  ) {}

  onApplicationBootstrap(): void {
    for (const w of this.discovery.getProviders()) {
      if (!w.metatype || !w.instance) continue;
      const kind = this.reflector.get<JobKind | undefined>(JOB_HANDLER, w.metatype as Type);
      if (!kind) continue;
      const replaces =
        this.reflector.get<boolean | undefined>(JOB_HANDLER_REPLACES, w.metatype as Type) ?? false;
      const existing = this.handlers.get(kind);
      if (existing && existing.replaces === replaces) throw new Error(`two handlers for job kind ${kind}`);
      if (!existing || replaces)
        this.handlers.set(kind, Object.assign(w.instance as IngestHandler, { replaces }));
    }
    for (const kind of Object.values(JobKind)) {
      const worker = new Worker<QueueJobData>(queueNameOf(kind), (job, token) => this.process(job, token), {
        connection: bullConnection(this.env, true),
        prefix: this.env.REDIS_PREFIX,
        concurrency: this.env.INGEST_WORKER_CONCURRENCY,
        lockDuration: this.env.INGEST_LOCK_MS,
        stalledInterval: this.env.INGEST_LOCK_MS,
        maxStalledCount: MAX_STALLED,
      });
      worker.on('error', (e) => this.warn(`worker ${kind}: ${e.message}`));
      worker.on('failed', (job, err) => {
        // Failures thrown by process() have already written their row; only BullMQ's own verdicts land here.
        if (job?.deferredFailure) void this.failStalled(job, err.message);
      });
      this.workers.push(worker);
    }
    this.logger.log({
      msg: 'ingest workers started',
      handlers: [...this.handlers.keys()],
      concurrency: this.env.INGEST_WORKER_CONCURRENCY,
    });
  }

  /** SIGTERM: stop taking jobs and let the running ones finish (BullMQ close waits for them). */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
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
          // The org is at its limit: back to delayed, no attempt spent; a released slot wakes it sooner.
          await job.moveToDelayed(Date.now() + this.env.INGEST_SLOT_RETRY_MS * (1 + Math.random()), token);
          await this.slots.park(orgId, `${kind}|${job.id}`).catch(() => undefined);
        } else {
          // Over the org's start rate: back to delayed until its next start is due, no attempt spent.
          await job.moveToDelayed(Date.now() + slot.waitMs + Math.random() * 20, token);
        }
        throw new DelayedError();
      }
      const renew = setInterval(
        () => void this.slots.acquire(orgId, jobId, limit, rate).catch(() => undefined),
        Math.max(100, Math.floor(this.env.INGEST_LOCK_MS / 3)),
      );
      const queue = queueNameOf(kind);
      const t0 = performance.now();
      const observe = (outcome: string) =>
        jobDuration.observe({ queue, org: orgLabel(orgId), outcome }, (performance.now() - t0) / 1000);
      try {
        // Asynchronous commit: the job's final commit below (synchronous) flushes it too; a crash in
        // between re-runs the job, which the row then allows (running → running).
        const started = await this.tenants.run(ctx, () => this.jobs.start(jobId), 'job', {
          asyncCommit: true,
        });
        if (!started) {
          this.logger.log({ msg: 'ingest job skipped: no longer queued', job_id: jobId, kind });
          observe('skipped');
          return;
        }
        if (started.wait_s !== null) jobWait.observe({ queue, org: orgLabel(orgId) }, started.wait_s);
        this.logger.log({ msg: 'ingest job started', job_id: jobId, kind, attempt: started.attempts });
        try {
          const handler = this.handlers.get(kind);
          if (!handler) throw new PermanentJobError(`no handler for ${kind}`);
          // The handler's slow part runs outside any transaction; its writes and the row's
          // `succeeded` commit together.
          await runJobHandler(
            this.tenants,
            ctx,
            handler,
            {
              jobId,
              orgId,
              kind,
              knowledgeItemId: started.knowledge_item_id,
              payload: started.payload,
              attempt: started.attempts,
              requestId: job.data.request_id,
            },
            () => this.jobs.succeed(jobId, started.knowledge_item_id),
          );
          observe('succeeded');
          this.logger.log({ msg: 'ingest job succeeded', job_id: jobId, kind });
        } catch (e) {
          const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
          const permanent = e instanceof PermanentJobError;
          const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          await this.tenants.run(
            ctx,
            () =>
              last
                ? this.jobs.fail(jobId, started.knowledge_item_id, message)
                : this.jobs.attemptFailed(jobId, message),
            'job',
          );
          observe(last ? 'failed' : 'retry');
          this.logger.warn({
            msg: last ? 'ingest job failed' : 'ingest job attempt failed, will retry',
            job_id: jobId,
            kind,
            error: message,
          });
          throw permanent ? new UnrecoverableError(message) : e;
        }
      } finally {
        clearInterval(renew);
        await this.slots.release(orgId, jobId).catch(() => undefined);
        await this.wakeParked(orgId).catch(() => undefined);
        // Room in the org's window: refill through this process's dispatcher (no NOTIFY, see IngestNotifyNewOnly).
        this.dispatcher.kickSoon();
      }
    });
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

  /** Promotes the first parked job of the org that is still waiting in delayed (stale entries are skipped). */
  private async wakeParked(orgId: string): Promise<void> {
    for (let i = 0; i < 4; i++) {
      const entry = await this.slots.nextParked(orgId);
      if (!entry) return;
      const [kind, id] = entry.split('|') as [JobKind, string];
      const parked = await this.queues.get(kind)?.getJob(id);
      if (parked && (await parked.isDelayed())) {
        await parked.promote().catch(() => undefined);
        return;
      }
    }
  }

  /**
   * limit(org): its job_concurrency, else INGEST_ORG_CONCURRENCY; rate(org): its job_rate, else
   * INGEST_ORG_RATE (0 = none). From LimitsService, which caches them and drops an org's entry when
   * an admin changes its limits.
   */
  private async limitOf(ctx: TenantContext): Promise<{ limit: number; rate: number }> {
    const own = await this.orgLimits.forTenant(ctx);
    return { limit: own.job_concurrency ?? this.env.INGEST_ORG_CONCURRENCY, rate: own.job_rate ?? this.env.INGEST_ORG_RATE };
  }

  private warn(msg: string): void {
    if (Date.now() - this.lastWarn < 5000) return;
    this.lastWarn = Date.now();
    this.logger.warn(msg);
  }
}
