import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { KnowledgeConfig } from '../../config/slices.js';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { conflict, notFound } from '../../common/filters/problem.js';
import { hasOrgRole, TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { fairKey } from '../../common/fair/fair-scheduler.js';
import { LargeAnswers, READ_SLICE_BYTES } from '../../common/admission/answer-slots.js';
import { IngestEnqueuer, JobKind, JobPriorityClass } from '../ingest/ingest.types.js';
import { JSON_STRING_GROWTH, jsonObjectStream, jsonStringBytes } from '../../common/http/json-stream.js';
import { STORED_JOB_ROW_BYTES, StoredBytes } from '../limits/stored-bytes.js';
import {
  KnowledgeRepository,
  type ContentPart,
  type ItemText,
  type KnowledgeItemDetailRow,
  type NewKnowledgeItem,
} from './knowledge.repository.js';
import type { KnowledgeItemDetailDto, KnowledgeItemDto } from './dto/knowledge.dto.js';

export type { NewKnowledgeItem } from './knowledge.repository.js';

export { READ_SLICE_BYTES } from '../../common/admission/answer-slots.js';

/**
 * Knowledge items: the one way to create, read, fill and delete them. Producers (intake: text,
 * HTML, URLs, uploads, OCR) and consumers (search's embed step, the market) go through this
 * service; none of them touches knowledge_items or knowledge_blobs directly. Every method runs in
 * the caller's tenant transaction.
 */
@Injectable()
export class KnowledgeService {
  constructor(
    private readonly items: KnowledgeRepository,
    // The ingest module (global) provides it: the outbox row joins this request's transaction.
    private readonly enqueuer: IngestEnqueuer,
    @Inject(KnowledgeConfig) private readonly config: KnowledgeConfig,
    private readonly tenants: TenantTransactions,
    private readonly stored: StoredBytes,
    private readonly answers: LargeAnswers,
  ) {}

  /**
   * An item whose text is already in place, handed to the embed job in the same transaction
   * (transactional outbox): both commit or neither does.
   */
  async create(item: NewKnowledgeItem): Promise<KnowledgeItemDto> {
    await this.stored.assertRoom(documentBytes(item.contentText) + documentBytes(item.contentHtml) + itemRowBytes(item));
    const created = await this.items.create(item);
    await this.requestEmbedding(created.id);
    return created;
  }

  /**
   * An item whose text comes later (a crawl or an ocr job fills it in with setContent). A crawl job
   * checks its page against the org's cap before writing it (assertRoomForText); what an ocr job
   * stores counts, unrefused: its upload was checked. `blobBytes`: an upload the item keeps for its
   * ocr job (putBlob), checked against the org's cap with the item.
   */
  async createPending(item: NewKnowledgeItem, blobBytes = 0): Promise<KnowledgeItemDto> {
    await this.stored.assertRoom(blobBytes + itemRowBytes(item), blobBytes ? 2 : 1);
    return this.items.create(item);
  }

  /**
   * 429 quota-exceeded now when `bytes` more would take the org past its cap of stored bytes: a
   * request checks before the work that would produce them (sanitising, parsing, OCR), in a short
   * transaction of its own, and again when it writes.
   */
  assertRoomToStore(tenant: TenantContext, bytes: number): Promise<void> {
    return this.tenants.run(tenant, () => this.stored.assertRoom(bytes));
  }

  /**
   * 429 quota-exceeded when `text`, written into an item that already exists (its row counted), would
   * take the org past its cap of stored bytes. In the caller's tenant transaction (a job's read step).
   */
  assertRoomForText(text: string): Promise<void> {
    return this.stored.assertRoom(documentBytes(text), 0);
  }

  /**
   * The item's text is in place: hand it to the embed job (same transaction). The one place where
   * text, html, uploads, crawls and OCR ask for embedding. `followUp`: asked by a finishing crawl
   * or ocr job, whose place in the org's queue it takes (not refused by the queued-jobs cap).
   */
  async requestEmbedding(itemId: string, opts: { followUp?: boolean } = {}): Promise<void> {
    await this.enqueuer.enqueue(
      JobKind.Embed,
      { knowledge_item_id: itemId },
      {
        knowledgeItemId: itemId,
        priorityClass: JobPriorityClass.Interactive,
        idempotencyKey: `embed:${itemId}`,
        followUp: opts.followUp,
      },
    );
  }

  /** Stores fetched or recognised text into an item; false when the item is gone. */
  setContent(id: string, c: Parameters<KnowledgeRepository['setContent']>[1]): Promise<boolean> {
    return this.items.setContent(id, c);
  }

  /** Bytes a job still has to read (an image waiting for OCR). */
  putBlob(itemId: string, mimeType: string, data: Buffer): Promise<void> {
    return this.items.putBlob(itemId, mimeType, data);
  }

  getBlob(itemId: string): Promise<{ mime_type: string; data: Buffer } | undefined> {
    return this.items.getBlob(itemId);
  }

  /** false when there was no blob (already consumed by an earlier delivery, or the item is gone). */
  deleteBlob(itemId: string): Promise<boolean> {
    return this.items.deleteBlob(itemId);
  }

  /** Locks the item row for this transaction and answers its text's md5 (null: no text; undefined: no such item). */
  lockTextDigest(id: string): Promise<string | null | undefined> {
    return this.items.lockTextDigest(id);
  }

  setStatus(id: string, status: string, error: string | null = null): Promise<void> {
    return this.items.setStatus(id, status, error);
  }

  /**
   * The item's text, or undefined when the org has none with this id (jobs: deleted meanwhile).
   * Without its HTML: a large upload's HTML read and decoded just to be dropped stalls the event loop.
   */
  findText(id: string): Promise<ItemText | undefined> {
    return this.items.text(id);
  }

  /**
   * The item without its documents (content_text and content_html are null unless empty; their
   * sizes are in text_bytes and html_bytes, null when there is none), or undefined when the org
   * has none with this id (jobs: deleted meanwhile).
   */
  find(id: string): Promise<KnowledgeItemDetailRow | undefined> {
    return this.items.detail(id, 0);
  }

  async list(limit = 20, cursor?: string): Promise<Page<KnowledgeItemDto>> {
    return pageOf(await this.items.list(limit, decodeCursor(cursor)), limit);
  }

  /**
   * The item with its text and HTML, for the caller's org, in transactions of its own (the route
   * holds none). Each document whose JSON is over KNOWLEDGE_INLINE_CONTENT_BYTES is read in slices of
   * READ_SLICE_BYTES and the answer is a stream of the same JSON document, written a slice per turn
   * of the event loop (json-stream.ts): a 10 MiB item read by one org costs the others no long
   * stretch of the loop. An org has one such answer written at a time (LargeAnswers); the next
   * waits for it before its slices are read, holding no connection.
   */
  async get(tenant: TenantContext, id: string): Promise<KnowledgeItemDetailDto | Readable> {
    const limit = this.config.inlineContentBytes;
    const row = await this.tenants.run(tenant, () => this.items.detail(id, limit));
    if (!row) throw notFound('knowledge item');
    const { text_bytes: textBytes, html_bytes: htmlBytes, ...item } = row;
    // a document is large by its JSON, which a text of control characters makes six times its size
    const sizes = { text: jsonBytes(item.content_text, textBytes, limit), html: jsonBytes(item.content_html, htmlBytes, limit) };
    const large: ContentPart[] = (['text', 'html'] as const).filter((part) => sizes[part] > limit);
    if (!large.length) return item;
    const bytes = large.reduce((n, part) => n + sizes[part], 0);
    return this.answers.stream(fairKey(tenant), bytes, async () => {
      const members = await this.tenants.run(tenant, async () => {
        const out = [];
        for (const part of large) {
          const slices = await this.items.contentSlices(id, part, READ_SLICE_BYTES);
          if (!slices.length) throw notFound('knowledge item'); // deleted meanwhile
          out.push({ key: `content_${part}`, slices });
        }
        return out;
      });
      const head: Partial<KnowledgeItemDetailDto> = { ...item };
      for (const part of large) delete head[`content_${part}`];
      return jsonObjectStream(head, members);
    });
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

/**
 * A document's size in the answer: its JSON when it was read inline (unless even its largest JSON
 * is within `limit`), else its stored size (not read).
 */
function jsonBytes(inline: string | null | undefined, stored: number | null | undefined, limit: number): number {
  return inline == null || (stored ?? 0) * JSON_STRING_GROWTH <= limit ? (stored ?? 0) : jsonStringBytes(inline, stored ?? 0);
}

/** An item's other columns and the job it brings, as org_storage counts them (migration OrgStoredItemRows). */
function itemRowBytes(item: NewKnowledgeItem): number {
  return documentBytes(item.title) + documentBytes(item.sourceUrl) + documentBytes(item.fileName) + STORED_JOB_ROW_BYTES;
}

/** A document's bytes as Postgres will count them (UTF-8). */
function documentBytes(doc: string | Buffer | null | undefined): number {
  if (doc == null) return 0;
  return typeof doc === 'string' ? Buffer.byteLength(doc) : doc.length;
}
