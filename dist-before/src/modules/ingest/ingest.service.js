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
import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, pageOf } from '../../common/dto/page.dto.js';
import { conflict, notFound, ProblemException } from '../../common/filters/problem.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { IngestConfig } from '../../config/slices.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { Charges } from '../limits/charges.service.js';
import { LimitsService } from '../limits/limits.service.js';
import { OrgCap } from '../limits/limits.types.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestEnqueuer, JobKind, JobPriorityClass } from './ingest.types.js';
/** What a manual retry is charged, per job kind (an embed job meters its inputs when it runs). */
const RETRY_POLICY = {
    [JobKind.Crawl]: RatePolicy.Crawl,
    [JobKind.Ocr]: RatePolicy.Ocr,
};
/** When to try again after a full queue: jobs start within seconds, a backlog drains in about this. */
const QUEUE_FULL_RETRY_S = 30;
/**
 * The transactional outbox (IngestEnqueuer) and the job API. Enqueue only writes the row in the
 * caller's tenant transaction; the dispatcher hands it to BullMQ after commit, so a rollback
 * leaves no job behind and a Redis outage loses none.
 */
let IngestService = class IngestService extends IngestEnqueuer {
    constructor(jobs, ingestConfig, tenants, limits, charges) {
        super();
        this.jobs = jobs;
        this.ingestConfig = ingestConfig;
        this.tenants = tenants;
        this.limits = limits;
        this.charges = charges;
    }
    async enqueue(kind, payload, opts = {}) {
        if (!opts.followUp)
            await this.assertRoomInQueue();
        const row = await this.jobs.insert({
            kind,
            payload,
            knowledgeItemId: opts.knowledgeItemId ?? null,
            priorityClass: opts.priorityClass ?? JobPriorityClass.Interactive,
            idempotencyKey: opts.idempotencyKey ?? null,
            maxAttempts: this.ingestConfig.maxAttempts,
        });
        return { id: row.id, kind: row.kind, status: row.status };
    }
    async list(limit = 20, cursor, filter) {
        return pageOf(await this.jobs.list(limit, filter, decodeCursor(cursor)), limit);
    }
    async get(id) {
        return (await this.jobs.get(id)) ?? Promise.reject(notFound('ingest job'));
    }
    /**
     * failed → queued. A manual retry is new work, charged again like the request that first asked
     * for it (a crawl job one `crawl` page, an ocr job one `ocr` image; an embed job meters its
     * inputs when it runs), and it joins the org's queued jobs (cap). Automatic attempts after a
     * system failure are the same request's and cost nothing more.
     */
    async retry(id) {
        const failed = await this.get(id);
        if (failed.status !== 'failed')
            throw conflict(`only a failed job can be retried; this one is ${failed.status}`);
        await this.assertRoomInQueue();
        const policy = RETRY_POLICY[failed.kind];
        const charged = policy ? await this.charges.charge(this.context(), policy, 1) : {};
        const row = await this.jobs.retry(id);
        if (row)
            return { job: row, charged };
        const job = await this.get(id);
        throw conflict(`only a failed job can be retried; this one is ${job.status}`);
    }
    /**
     * The org's cap of queued jobs (caps.queued_jobs): past it, 429 quota-exceeded and the request's
     * transaction rolls back, so nothing it wrote is kept half-done; the jobs already queued are untouched.
     */
    async assertRoomInQueue() {
        const ctx = this.context();
        const cap = (await this.limits.forTenant(ctx)).caps[OrgCap.QueuedJobs];
        const queued = await this.jobs.countQueued(cap);
        if (queued < cap)
            return;
        throw new ProblemException(429, 'quota-exceeded', `this org has ${cap} ingest jobs waiting, its cap: retry once some have run`, { cap: OrgCap.QueuedJobs, limit: cap, used: queued }, { 'Retry-After': String(QUEUE_FULL_RETRY_S) });
    }
    context() {
        const ctx = this.tenants.current();
        if (!ctx?.orgId)
            throw new Error('ingest jobs are enqueued inside a tenant transaction');
        return ctx;
    }
    async cancel(id) {
        const row = await this.jobs.cancel(id);
        if (row)
            return row;
        const job = await this.get(id);
        throw conflict(`only a queued job can be cancelled; this one is ${job.status}`);
    }
};
IngestService = __decorate([
    Injectable(),
    __param(1, Inject(IngestConfig)),
    __metadata("design:paramtypes", [IngestRepository,
        IngestConfig,
        TenantTransactions,
        LimitsService,
        Charges])
], IngestService);
export { IngestService };
//# sourceMappingURL=ingest.service.js.map