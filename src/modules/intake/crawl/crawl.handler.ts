import { Injectable } from '@nestjs/common';
import { ProblemException } from '../../../common/filters/problem.js';
import { EngineBusyError, WorkClass } from '../../../common/fair/fair-scheduler.js';
import { intakeRefusals } from '../../../common/metrics/metrics.js';
import { orgLabel } from '../../../common/metrics/org-label.js';
import {
  tenantOfJob,
  IngestHandler,
  IngestJobContext,
  JobCommit,
  JobHandler,
  JobKind,
  PermanentJobError,
} from '../../ingest/ingest.types.js';
import { KnowledgeService } from '../../knowledge/knowledge.service.js';
import { RatePolicy } from '../../../common/decorators/rate-limit.decorator.js';
import { Charges } from '../../limits/charges.service.js';
import { UsageUnit } from '../../limits/limits.types.js';
import { UsageService } from '../../limits/usage.service.js';
import { CrawlService, type CrawledText } from './crawl.service.js';
import { FetchFailure, SafeFetchError } from './safe-fetch.js';

/**
 * The crawl job: fetch the item's URL through the guarded fetcher, store its readable text in the
 * item, ask for embedding. Blocked destinations and final refusals (content type, size, 4xx)
 * fail the job at once with their reason (`ssrf-blocked: ...`); timeouts, 5xx and network errors
 * are retried. The fetch runs outside any transaction; the text and the embed request are written
 * together after it. Idempotent: a second run stores the same text again.
 *
 * The page's text is checked against the org's cap of stored bytes once it is known; past it the
 * job fails with `quota-exceeded` (nothing stored; retry it once room is made).
 *
 * A PDF's pages cost what an uploaded PDF's do: one `ocr` unit (ocr_pages) each. The org's monthly
 * ocr_pages quota is checked before parsing (one page) and once the page count is known; over it
 * the job fails with `quota-exceeded` (nothing stored). The pages are charged (bucket and usage,
 * as an upload's pages past the first) once parsed, once per job generation (Charges.chargeJobUpTo):
 * an automatic attempt after a system failure costs nothing more, a run whose item was deleted
 * meanwhile costs what it parsed.
 */
@Injectable()
@JobHandler(JobKind.Crawl)
export class CrawlJobHandler implements IngestHandler<JobKind.Crawl> {
  readonly kind = JobKind.Crawl;

  constructor(
    private readonly crawler: CrawlService,
    private readonly knowledge: KnowledgeService,
    private readonly usage: UsageService,
    private readonly charges: Charges,
  ) {}

  async handle(job: IngestJobContext<JobKind.Crawl>): Promise<JobCommit> {
    const { knowledge_item_id: itemId, url } = job.payload;
    const item = await job.db(() => this.knowledge.find(itemId));
    if (!item) throw new PermanentJobError('not-found: the knowledge item no longer exists');

    const ctx = tenantOfJob(job);
    let page: CrawledText;
    try {
      page = await this.crawler.crawl(url, { key: job.orgId, cls: WorkClass.Job }, job.signal, () =>
        this.usage.assertWithinQuota(ctx, UsageUnit.OcrPages, 1),
      );
      // a 429 quota-exceeded here fails the job below, like any refusal of the document
      if (page.pages) await this.usage.assertWithinQuota(ctx, UsageUnit.OcrPages, page.pages);
      // the page must fit under the org's cap of stored bytes: the request that queued the crawl
      // could only check its item's row, and queued crawls could otherwise store past the cap
      await job.db(() => this.knowledge.assertRoomForText(page.text));
    } catch (e) {
      const reason =
        e instanceof SafeFetchError ? e.failure : e instanceof ProblemException ? e.slug : undefined;
      if (reason) intakeRefusals.inc({ path: 'crawl_job', reason, org: orgLabel(job.orgId) });
      if (e instanceof SafeFetchError) {
        if (e.failure === FetchFailure.SsrfBlocked)
          throw new PermanentJobError(`${FetchFailure.SsrfBlocked}: ${e.message}`);
        if (!e.transient) throw new PermanentJobError(`${e.failure}: ${e.message}`);
        throw e;
      }
      // A full queue for a parser (429) will clear: retried like a 5xx.
      if (e instanceof ProblemException && e.getStatus() < 500 && !(e instanceof EngineBusyError))
        throw new PermanentJobError(`${e.slug}: ${e.message}`);
      throw e;
    }
    // parsed: the pages are charged now, once per generation, whether or not the text is stored
    // (an item deleted meanwhile takes its job with it, and the commit never comes)
    const pages = page.pages;
    if (pages) await this.charges.chargeJobUpTo(ctx, job.work, pages, (more) => this.charges.chargeSpent(ctx, RatePolicy.Ocr, more));
    const titled = item.title === item.source_url && page.title ? page.title.slice(0, 300) : null;
    return async () => {
      const stored = await this.knowledge.setContent(itemId, {
        contentText: page.text,
        mimeType: page.contentType,
        byteSize: page.byteSize,
        title: titled,
      });
      if (!stored) return; // the item was deleted while its page was fetched, and its job with it
      await this.knowledge.requestEmbedding(itemId, { followUp: true });
    };
  }
}
