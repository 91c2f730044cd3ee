import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { conflict, notFound, ProblemException } from '../../common/filters/problem.js';
import { ENV, type Env } from '../../config/env.js';
import { intakeRefusals } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { hasOrgRole, TenantTransactions, type TenantContext } from '../../database/tenant-context.js';
import { IngestEnqueuer, JobKind, JobPriorityClass, type EnqueuedJob } from '../ingest/ingest.types.js';
import { checkUrl, parseUrl, type UrlPolicy } from '../crawl/url-policy.js';
import { policyFromEnv } from '../crawl/safe-fetch.js';
import { KnowledgeRepository } from './knowledge.repository.js';
import { htmlToText, sanitize } from './html.js';
import type { CreateKnowledgeDto, KnowledgeItemDetailDto, KnowledgeItemDto } from './dto/knowledge.dto.js';

/** 422 whose `type` ends in `ssrf-blocked`: the URL points somewhere the crawler must not go. */
export const ssrfBlocked = (reason: string) => new ProblemException(422, 'ssrf-blocked', `this URL cannot be crawled: ${reason}`);

@Injectable()
export class KnowledgeService {
  private readonly urlPolicy: UrlPolicy;

  constructor(
    private readonly items: KnowledgeRepository,
    private readonly tenants: TenantTransactions,
    @Inject(ENV) env: Env,
    // The ingest module (global) provides it: the outbox row joins this request's transaction.
    private readonly enqueuer: IngestEnqueuer,
  ) {
    this.urlPolicy = policyFromEnv(env);
  }

  async create(body: CreateKnowledgeDto): Promise<KnowledgeItemDto> {
    const given = [body.text, body.html, body.url].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ProblemException(422, 'validation', 'give exactly one of text, html or url', {
        errors: { body: ['exactly one of text, html or url is required'] },
      });
    }
    if (body.url !== undefined) return (await this.submitUrl(body.url, body.title)).item;
    const item =
      body.html !== undefined
        ? await this.items.create({ title: body.title, sourceKind: 'html', contentHtml: sanitize(body.html), contentText: htmlToText(sanitize(body.html)) })
        : await this.items.create({ title: body.title, sourceKind: 'text', contentText: body.text! });
    // Same transaction as the item (transactional outbox): both commit or neither does.
    await this.requestEmbedding(item.id);
    return item;
  }

  /**
   * Refuses what can be judged now (scheme, credentials, port, literal or local addresses: 422
   * ssrf-blocked), then creates the pending item and its crawl job in this transaction.
   * Everything else is judged again at connect time by the job.
   */
  async submitUrl(raw: string, title?: string): Promise<{ item: KnowledgeItemDto; job: EnqueuedJob }> {
    const url = parseUrl(raw.trim());
    if (!url) throw new ProblemException(422, 'validation', 'url must be an absolute http(s) URL', { errors: { url: ['must be an absolute URL'] } });
    const verdict = checkUrl(url, this.urlPolicy);
    if (!verdict.ok) {
      intakeRefusals.inc({ path: 'crawl_submit', reason: 'ssrf-blocked', org: orgLabel(this.tenants.current()?.orgId) });
      throw ssrfBlocked(verdict.reason);
    }
    const href = url.toString();
    const item = await this.items.create({ title: title ?? href.slice(0, 300), sourceKind: 'url', sourceUrl: href });
    const job = await this.enqueuer.enqueue(
      JobKind.Crawl,
      { knowledge_item_id: item.id, url: href },
      { knowledgeItemId: item.id, priorityClass: JobPriorityClass.Interactive, idempotencyKey: `crawl:${item.id}` },
    );
    return { item, job };
  }

  /** Hands a large image (already stored as the item's blob) to the ocr job. */
  async enqueueOcr(itemId: string): Promise<EnqueuedJob> {
    return this.enqueuer.enqueue(
      JobKind.Ocr,
      { knowledge_item_id: itemId },
      { knowledgeItemId: itemId, priorityClass: JobPriorityClass.Interactive, idempotencyKey: `ocr:${itemId}` },
    );
  }

  /**
   * The item's text is in place: hand it to the embed job (same transaction). The one place where
   * text, html, uploads, crawls and OCR ask for embedding.
   */
  async requestEmbedding(itemId: string): Promise<void> {
    await this.enqueuer.enqueue(
      JobKind.Embed,
      { knowledge_item_id: itemId },
      { knowledgeItemId: itemId, priorityClass: JobPriorityClass.Interactive, idempotencyKey: `embed:${itemId}` },
    );
  }

  async list(limit = 20, cursor?: string): Promise<Page<KnowledgeItemDto>> {
    return pageOf(await this.items.list(limit, decodeCursor(cursor)), limit);
  }

  async get(id: string): Promise<KnowledgeItemDetailDto> {
    return (await this.items.get(id)) ?? Promise.reject(notFound('knowledge item'));
  }

  /**
   * Deletes the item and everything derived from it, its market listing included. Unpublishing is
   * an admin's decision: a member may delete a published item only once an admin has unpublished it.
   */
  async delete(id: string, actor: TenantContext): Promise<void> {
    // Only a non-admin needs to know whether the item is published (one query fewer for admins).
    const listing = actor.isSuperAdmin || hasOrgRole(actor, 'admin') ? null : await this.items.listingOf(id);
    if (listing) {
      throw conflict(`this knowledge item is published to the market (listing ${listing}); an admin must delete it or unpublish it first`);
    }
    if (!(await this.items.delete(id))) throw notFound('knowledge item');
  }
}
