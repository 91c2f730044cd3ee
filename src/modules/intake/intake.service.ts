import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '../../common/filters/problem.js';
import { intakeRefusals } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { IntakeConfig } from '../../config/slices.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { Charges, type ChargeHeaders } from '../limits/charges.service.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { IngestEnqueuer, JobKind, JobPriorityClass, type EnqueuedJob } from '../ingest/ingest.types.js';
import type { KnowledgeItemDto } from '../knowledge/dto/knowledge.dto.js';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { fairKey, WorkClass } from '../../common/fair/fair-scheduler.js';
import { HtmlEngine } from './content/html.js';
import { policyFromEnv } from './crawl/safe-fetch.js';
import { checkUrl, parseUrl, type UrlPolicy } from './crawl/url-policy.js';
import type { CreateKnowledgeDto } from './dto/intake.dto.js';

/** 422 whose `type` ends in `ssrf-blocked`: the URL points somewhere the crawler must not go. */
export const ssrfBlocked = (reason: string) =>
  new ProblemException(422, 'ssrf-blocked', `this URL cannot be crawled: ${reason}`);

/**
 * Items from a request body: text as given, HTML sanitised (with its plain text for search), a
 * URL as a pending item and its crawl job. Every item is written through KnowledgeService, in the
 * request's tenant transaction.
 */
@Injectable()
export class IntakeService {
  private readonly urlPolicy: UrlPolicy;

  constructor(
    private readonly knowledge: KnowledgeService,
    private readonly tenants: TenantTransactions,
    @Inject(IntakeConfig) intakeConfig: IntakeConfig,
    // The ingest module (global) provides it: the outbox row joins this request's transaction.
    private readonly enqueuer: IngestEnqueuer,
    private readonly html: HtmlEngine,
    private readonly charges: Charges,
  ) {
    this.urlPolicy = policyFromEnv(intakeConfig);
  }

  /** The item, and the RateLimit headers of what it was charged besides the route's `api` (a URL: `crawl`). */
  async create(body: CreateKnowledgeDto): Promise<{ item: KnowledgeItemDto; charged: ChargeHeaders }> {
    const given = [body.text, body.html, body.url].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ProblemException(422, 'validation', 'give exactly one of text, html or url', {
        errors: { body: ['exactly one of text, html or url is required'] },
      });
    }
    // The route runs without the request transaction: HTML is sanitised on the html pool first
    // (waiting there holds no database connection), then one short transaction writes.
    const ctx = this.tenants.current();
    if (!ctx) throw new Error('intake outside a tenant context');
    if (body.html !== undefined) {
      // an org at its cap of stored bytes is refused before the html pool runs
      await this.knowledge.assertRoomToStore(ctx, body.html.length); // characters: at most its bytes
      const clean = await this.html.clean(body.html, { key: fairKey(ctx), cls: WorkClass.Request });
      const item = await this.tenants.run(ctx, () =>
        this.knowledge.create({
          title: body.title,
          sourceKind: 'html',
          contentHtml: clean.html,
          contentText: clean.text,
        }),
      );
      return { item, charged: {} };
    }
    if (body.url !== undefined) {
      const url = body.url;
      // the same cost as POST /v1/crawl: one page under `crawl` (its bucket, quota and metering)
      const charged = await this.charges.charge(ctx, RatePolicy.Crawl, 1);
      const item = await this.tenants.run(ctx, async () => (await this.submitUrl(url, body.title)).item);
      return { item, charged };
    }
    const item = await this.tenants.run(ctx, () =>
      this.knowledge.create({ title: body.title, sourceKind: 'text', contentText: body.text! }),
    );
    return { item, charged: {} };
  }

  /**
   * Refuses what can be judged now (scheme, credentials, port, literal or local addresses: 422
   * ssrf-blocked), then creates the pending item and its crawl job in this transaction.
   * Everything else is judged again at connect time by the job.
   */
  async submitUrl(raw: string, title?: string): Promise<{ item: KnowledgeItemDto; job: EnqueuedJob }> {
    const url = parseUrl(raw.trim());
    if (!url)
      throw new ProblemException(422, 'validation', 'url must be an absolute http(s) URL', {
        errors: { url: ['must be an absolute URL'] },
      });
    const verdict = checkUrl(url, this.urlPolicy);
    if (!verdict.ok) {
      intakeRefusals.inc({
        path: 'crawl_submit',
        reason: 'ssrf-blocked',
        org: orgLabel(this.tenants.current()?.orgId),
      });
      throw ssrfBlocked(verdict.reason);
    }
    const href = url.toString();
    const item = await this.knowledge.createPending({
      title: title ?? href.slice(0, 300),
      sourceKind: 'url',
      sourceUrl: href,
    });
    const job = await this.enqueuer.enqueue(
      JobKind.Crawl,
      { knowledge_item_id: item.id, url: href },
      {
        knowledgeItemId: item.id,
        priorityClass: JobPriorityClass.Interactive,
        idempotencyKey: `crawl:${item.id}`,
      },
    );
    return { item, job };
  }
}
