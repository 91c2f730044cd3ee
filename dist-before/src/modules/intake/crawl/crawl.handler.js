var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { ProblemException } from '../../../common/filters/problem.js';
import { EngineBusyError, WorkClass } from '../../../common/fair/fair-scheduler.js';
import { intakeRefusals } from '../../../common/metrics/metrics.js';
import { orgLabel } from '../../../common/metrics/org-label.js';
import { tenantOfJob, JobHandler, JobKind, PermanentJobError, } from '../../ingest/ingest.types.js';
import { KnowledgeService } from '../../knowledge/knowledge.service.js';
import { RatePolicy } from '../../../common/decorators/rate-limit.decorator.js';
import { Charges } from '../../limits/charges.service.js';
import { UsageUnit } from '../../limits/limits.types.js';
import { UsageService } from '../../limits/usage.service.js';
import { CrawlService } from './crawl.service.js';
import { FetchFailure, SafeFetchError } from './safe-fetch.js';
/**
 * The crawl job: fetch the item's URL through the guarded fetcher, store its readable text in the
 * item, ask for embedding. Blocked destinations and final refusals (content type, size, 4xx)
 * fail the job at once with their reason (`ssrf-blocked: ...`); timeouts, 5xx and network errors
 * are retried. The fetch runs outside any transaction; the text and the embed request are written
 * together after it. Idempotent: a second run stores the same text again.
 *
 * A PDF's pages cost what an uploaded PDF's do: one `ocr` unit (ocr_pages) each. The org's monthly
 * ocr_pages quota is checked before parsing (one page) and once the page count is known; over it
 * the job fails with `quota-exceeded` (nothing stored). The pages are charged (bucket and usage,
 * as an upload's pages past the first) when the text is written, so an attempt lost to a crash
 * or a stale lease costs nothing.
 */
let CrawlJobHandler = class CrawlJobHandler {
    constructor(crawler, knowledge, usage, charges) {
        this.crawler = crawler;
        this.knowledge = knowledge;
        this.usage = usage;
        this.charges = charges;
        this.kind = JobKind.Crawl;
    }
    async handle(job) {
        const { knowledge_item_id: itemId, url } = job.payload;
        const item = await job.db(() => this.knowledge.find(itemId));
        if (!item)
            throw new PermanentJobError('not-found: the knowledge item no longer exists');
        const ctx = tenantOfJob(job);
        let page;
        try {
            page = await this.crawler.crawl(url, { key: job.orgId, cls: WorkClass.Job }, job.signal, () => this.usage.assertWithinQuota(ctx, UsageUnit.OcrPages, 1));
            // a 429 quota-exceeded here fails the job below, like any refusal of the document
            if (page.pages)
                await this.usage.assertWithinQuota(ctx, UsageUnit.OcrPages, page.pages);
        }
        catch (e) {
            const reason = e instanceof SafeFetchError ? e.failure : e instanceof ProblemException ? e.slug : undefined;
            if (reason)
                intakeRefusals.inc({ path: 'crawl_job', reason, org: orgLabel(job.orgId) });
            if (e instanceof SafeFetchError) {
                if (e.failure === FetchFailure.SsrfBlocked)
                    throw new PermanentJobError(`${FetchFailure.SsrfBlocked}: ${e.message}`);
                if (!e.transient)
                    throw new PermanentJobError(`${e.failure}: ${e.message}`);
                throw e;
            }
            // A full queue for a parser (429) will clear: retried like a 5xx.
            if (e instanceof ProblemException && e.getStatus() < 500 && !(e instanceof EngineBusyError))
                throw new PermanentJobError(`${e.slug}: ${e.message}`);
            throw e;
        }
        const titled = item.title === item.source_url && page.title ? page.title.slice(0, 300) : null;
        return async () => {
            const stored = await this.knowledge.setContent(itemId, {
                contentText: page.text,
                mimeType: page.contentType,
                byteSize: page.byteSize,
                title: titled,
            });
            // parsed either way: the pages are charged even if the item went meanwhile
            if (page.pages)
                await this.charges.chargeSpent(ctx, RatePolicy.Ocr, page.pages);
            if (!stored)
                return; // the item was deleted while its page was fetched, and its job with it
            await this.knowledge.requestEmbedding(itemId, { followUp: true });
        };
    }
};
CrawlJobHandler = __decorate([
    Injectable(),
    JobHandler(JobKind.Crawl),
    __metadata("design:paramtypes", [CrawlService,
        KnowledgeService,
        UsageService,
        Charges])
], CrawlJobHandler);
export { CrawlJobHandler };
//# sourceMappingURL=crawl.handler.js.map