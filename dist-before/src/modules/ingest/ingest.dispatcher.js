var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Inject, Injectable, Logger } from '@nestjs/common';
import { IngestConfig, RedisConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { queueJobs, queueOldestQueuedSeconds } from '../../common/metrics/metrics.js';
import { FleetLease } from './fleet-lease.js';
import { IngestOutboxRepository } from './ingest-outbox.repository.js';
import { IngestQueues } from './ingest.queues.js';
import { JobKind, queueNameOf } from './ingest.types.js';
import { bullJobId, bullJobOptions } from './queue.config.js';
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
const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('queue did not answer in time')), ms).unref())]);
/**
 * Hands committed ingest_jobs rows to BullMQ (transactional outbox → queue), and returns running rows
 * whose lease expired to the outbox (reap). Woken by LISTEN/NOTIFY
 * at every commit that queued a job, by this process's worker when it finishes one (refill), and
 * by a poll. Claims are per-org
 * windows (see ingest_dispatch_claim): fairness comes from never letting one org flood the queue.
 */
let IngestDispatcher = class IngestDispatcher {
    constructor(outbox, ingestConfig, redisConfig, redis, queues) {
        this.outbox = outbox;
        this.ingestConfig = ingestConfig;
        this.redis = redis;
        this.queues = queues;
        this.logger = new Logger('IngestDispatcher');
        this.timers = [];
        this.running = null;
        this.again = false;
        /** The pending pass is only a refill (may give way to another dispatcher's claim). */
        this.refillOnly = true;
        this.stopped = false;
        this.lastWarn = 0;
        this.refill = null;
        for (const q of this.queues.all())
            q.on('error', (e) => this.warn(`queue ${q.name}: ${e.message}`));
        this.metricsLease = new FleetLease(redis, `${redisConfig.prefix}:metrics:queue-sampler`, METRICS_LEASE_MS);
    }
    onApplicationBootstrap() {
        void this.outbox.listen((what) => (what === 'new' ? this.kick() : this.kickSoon()));
        this.timers.push(setInterval(() => this.kick(), this.ingestConfig.dispatchIntervalMs));
        this.timers.push(setInterval(() => void this.reconcile().catch((e) => this.warn(`reconcile: ${e.message}`)), Math.max(1000, this.ingestConfig.reconcileAfterMs / 2)));
        void this.sampleMetrics().catch(() => undefined);
        this.timers.push(setInterval(() => void this.sampleMetrics().catch(() => undefined), METRICS_EVERY_MS));
        this.timers.push(setInterval(() => void this.reap().catch((e) => this.warn(`reap: ${e.message}`)), Math.max(250, Math.floor(this.ingestConfig.leaseMs / 2))));
        for (const t of this.timers)
            t.unref();
    }
    async onApplicationShutdown() {
        this.stopped = true;
        for (const t of this.timers)
            clearInterval(t);
        if (this.refill)
            clearTimeout(this.refill);
        await this.running;
        await this.metricsLease.release(); // the next worker takes the gauges over at its next sample
    }
    /** Runs a dispatch pass now, or right after the current one (passes never overlap in a process). */
    kick(refill = false) {
        if (this.stopped)
            return;
        if (!refill)
            this.refillOnly = false;
        if (this.running) {
            this.again = true;
            return;
        }
        this.running = this.loop().finally(() => {
            this.running = null;
        });
    }
    /** A refill a few milliseconds from now (batched): a job finished and freed room in its org's window. */
    kickSoon() {
        if (this.refill || this.stopped)
            return;
        this.refill = setTimeout(() => {
            this.refill = null;
            this.kick(true);
        }, REFILL_BATCH_MS);
    }
    async loop() {
        do {
            this.again = false;
            const wait = !this.refillOnly;
            this.refillOnly = true;
            // Redis down: leave the rows in the outbox; the poll or the next NOTIFY tries again.
            if (this.redis.status !== 'ready')
                return;
            try {
                const n = await this.outbox.claim((rows) => this.send(rows), BATCH, wait);
                if (n === BATCH)
                    this.again = true;
                if (n === null)
                    this.kickSoon(); // another dispatcher was claiming: refill a moment later
            }
            catch (e) {
                this.warn(`dispatch deferred: ${e.message}`);
                return;
            }
        } while (this.again && !this.stopped);
    }
    async send(rows) {
        const byKind = new Map();
        for (const r of rows)
            byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
        await withTimeout(Promise.all([...byKind].map(([kind, list]) => this.queue(kind).addBulk(list.map((r) => ({
            name: kind,
            data: { org_id: r.org_id, job_id: r.id, kind, request_id: r.request_id },
            opts: bullJobOptions(this.ingestConfig, r),
        }))))), SEND_TIMEOUT_MS);
    }
    /**
     * Safety net for Redis losing data (a restart without persistence): rows dispatched long ago
     * and still queued whose BullMQ job is gone are sent again under the same job id.
     */
    async reconcile() {
        if (this.redis.status !== 'ready')
            return 0;
        const rows = await this.outbox.dispatchedQueued(this.ingestConfig.reconcileAfterMs, BATCH);
        const missing = [];
        for (const r of rows)
            if (!(await this.queue(r.kind).getJob(bullJobId(r))))
                missing.push(r);
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
    async reap() {
        if (this.stopped)
            return 0;
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
    async sampleMetrics() {
        const exporting = this.redis.status !== 'ready' || (await this.metricsLease.hold());
        if (!exporting) {
            queueJobs.reset();
            queueOldestQueuedSeconds.reset();
            return;
        }
        const stats = await this.outbox.stats();
        queueJobs.reset();
        queueOldestQueuedSeconds.reset();
        const oldest = new Map();
        for (const s of stats) {
            queueJobs.inc({ queue: queueNameOf(s.kind), org: orgLabel(s.org_id), state: s.status }, Number(s.jobs));
            if (s.status === 'queued') {
                const age = (Date.now() - new Date(s.oldest_queued_at).getTime()) / 1000;
                oldest.set(s.kind, Math.max(oldest.get(s.kind) ?? 0, age));
            }
        }
        for (const kind of Object.values(JobKind))
            queueOldestQueuedSeconds.set({ queue: queueNameOf(kind) }, oldest.get(kind) ?? 0);
    }
    queue(kind) {
        const q = this.queues.get(kind);
        if (!q)
            throw new Error(`no queue for job kind ${kind}`);
        return q;
    }
    warn(msg) {
        if (Date.now() - this.lastWarn < 5000)
            return; // one line per 5 s while Redis is down
        this.lastWarn = Date.now();
        this.logger.warn(msg);
    }
};
IngestDispatcher = __decorate([
    Injectable(),
    __param(1, Inject(IngestConfig)),
    __param(2, Inject(RedisConfig)),
    __param(3, Inject(REDIS)),
    __metadata("design:paramtypes", [IngestOutboxRepository,
        IngestConfig,
        RedisConfig, Object, IngestQueues])
], IngestDispatcher);
export { IngestDispatcher };
//# sourceMappingURL=ingest.dispatcher.js.map