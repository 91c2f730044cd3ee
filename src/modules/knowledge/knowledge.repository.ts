import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../database/keyset-page.repository.js';
import { UTF8_SLICE, utf8SliceJoins } from '../../database/utf8-slices.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import type { KnowledgeItemDetailDto, KnowledgeItemDto } from './dto/knowledge.dto.js';

const COLS = `id, title, source_kind, source_url, status, error, mime_type, file_name, byte_size, created_by,
  ${isoTs('created_at')}, ${isoTs('updated_at')}`;

/** An item's text (null: none) and its md5 as Postgres computes it (null with no text). */
export interface ItemText {
  text: string | null;
  digest: string | null;
}

export interface NewKnowledgeItem {
  title: string;
  sourceKind: 'text' | 'html' | 'url' | 'upload';
  sourceUrl?: string | null;
  /** A string, or its UTF-8 bytes (a large upload's text: see textParam). */
  contentText?: string | Buffer | null;
  contentHtml?: string | Buffer | null;
  mimeType?: string | null;
  fileName?: string | null;
  byteSize?: number | null;
}

/**
 * The SQL for a text column's parameter $n: a string as text; UTF-8 bytes as bytea that Postgres
 * decodes (and checks) as UTF-8. pg writes a Buffer parameter with one copy, where a multi-MB
 * string is UTF-8 encoded into the wire buffer on the event loop, stalling every org's requests.
 */
const textParam = (n: number, value: unknown): string =>
  Buffer.isBuffer(value) ? `convert_from($${n}::bytea, 'UTF8')` : `$${n}`;

/** The item's two documents, as GET answers them. */
export type ContentPart = 'text' | 'html';
const CONTENT_COLUMN: Record<ContentPart, string> = { text: 'content_text', html: 'content_html' };

/** An item as `detail` reads it: a document over the inline size is null, its size beside it. */
export type KnowledgeItemDetailRow = KnowledgeItemDetailDto & { text_bytes: number | null; html_bytes: number | null };

/** knowledge_items and knowledge_blobs, always inside the tenant transaction; every query names the context's org (org_id = $1). */
@Injectable()
export class KnowledgeRepository {
  constructor(private readonly db: TenantDb) {}

  private org(): string {
    return this.db.context().orgId!;
  }

  async create(item: NewKnowledgeItem): Promise<KnowledgeItemDto> {
    const { orgId, userId } = this.db.context();
    return (await this.db.one<KnowledgeItemDto>(
      `INSERT INTO knowledge_items (org_id, title, source_kind, source_url, content_text, content_html, mime_type, file_name, byte_size, created_by)
       VALUES ($1, $2, $3, $4, ${textParam(5, item.contentText)}, ${textParam(6, item.contentHtml)}, $7, $8, $9, $10)
       RETURNING ${COLS}`,
      [
        orgId,
        item.title,
        item.sourceKind,
        item.sourceUrl ?? null,
        item.contentText ?? null,
        item.contentHtml ?? null,
        item.mimeType ?? null,
        item.fileName ?? null,
        item.byteSize ?? null,
        userId,
      ],
    ))!;
  }

  list(limit: number, after?: Keyset): Promise<KnowledgeItemDto[]> {
    return keysetPage(this.db, `SELECT ${COLS} FROM knowledge_items WHERE org_id = $1`, 'knowledge_items', [this.org()], limit, after);
  }

  /**
   * The item with its text and HTML when each is at most `inlineBytes` (its UTF-8 size, which
   * Postgres knows without reading the value); a larger one is null here, its size in
   * `text_bytes` / `html_bytes`, to be read by contentSlices.
   */
  detail(id: string, inlineBytes: number): Promise<KnowledgeItemDetailRow | undefined> {
    return this.db.one(
      `SELECT ${COLS},
         CASE WHEN octet_length(content_text) <= $3 THEN content_text END AS content_text,
         CASE WHEN octet_length(content_html) <= $3 THEN content_html END AS content_html,
         octet_length(content_text) AS text_bytes, octet_length(content_html) AS html_bytes
       FROM knowledge_items WHERE org_id = $1 AND id = $2`,
      [this.org(), id, inlineBytes],
    );
  }

  /**
   * The item's text or HTML in slices of at most `sliceBytes` UTF-8 bytes, in order, each cut at a
   * character's start: one row each, so no message, string or buffer on the event loop is the size
   * of the document, the value read and converted once (see utf8-slices.ts).
   */
  async contentSlices(id: string, part: ContentPart, sliceBytes: number): Promise<string[]> {
    const rows = await this.db.query<{ k: number; s: string }>(
      `SELECT ${UTF8_SLICE}
         FROM (SELECT id, doc, octet_length(doc) AS len
                 FROM (SELECT id, convert_to(${CONTENT_COLUMN[part]}, 'UTF8') AS doc
                         FROM knowledge_items WHERE org_id = $1 AND id = $2 OFFSET 0) converted) d
        ${utf8SliceJoins('$3')}`,
      [this.org(), id, sliceBytes],
    );
    return rows.sort((a, b) => a.k - b.k).map((r) => r.s);
  }

  /**
   * The item's text alone, never its HTML, which can be megabytes, with its md5 taken by Postgres
   * (undefined: no such item).
   */
  async text(id: string): Promise<ItemText | undefined> {
    return this.db.one<ItemText>(
      `SELECT content_text AS text, md5(content_text) AS digest FROM knowledge_items WHERE org_id = $1 AND id = $2`,
      [this.org(), id],
    );
  }

  /**
   * Locks the item row for this transaction and answers its text's md5 (null: no text; undefined:
   * no such item): whether the text changed is told without sending it again.
   */
  async lockTextDigest(id: string): Promise<string | null | undefined> {
    const row = await this.db.one<{ digest: string | null }>(
      `SELECT md5(content_text) AS digest FROM knowledge_items WHERE org_id = $1 AND id = $2 FOR UPDATE`,
      [this.org(), id],
    );
    return row ? row.digest : undefined;
  }

  async setStatus(id: string, status: string, error: string | null = null): Promise<void> {
    await this.db.query(
      `UPDATE knowledge_items SET status = $3, error = $4, updated_at = clock_timestamp() WHERE org_id = $1 AND id = $2`,
      [this.org(), id, status, error],
    );
  }

  /** Stores fetched or recognised text into an item (crawl and OCR jobs); running it twice changes nothing twice. */
  async setContent(
    id: string,
    c: { contentText: string; mimeType?: string | null; byteSize?: number | null; title?: string | null },
  ): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE knowledge_items
          SET content_text = $3, mime_type = coalesce($4, mime_type), byte_size = coalesce($5, byte_size),
              title = coalesce($6, title), updated_at = clock_timestamp()
        WHERE org_id = $1 AND id = $2 RETURNING id`,
      [this.org(), id, c.contentText, c.mimeType ?? null, c.byteSize ?? null, c.title ?? null],
    );
    return rows.length > 0;
  }

  /** Bytes a job still has to read (an image waiting for OCR). */
  async putBlob(itemId: string, mimeType: string, data: Buffer): Promise<void> {
    const { orgId } = this.db.context();
    await this.db.query(
      `INSERT INTO knowledge_blobs (org_id, knowledge_item_id, mime_type, data) VALUES ($1, $2, $3, $4)`,
      [orgId, itemId, mimeType, data],
    );
  }

  getBlob(itemId: string): Promise<{ mime_type: string; data: Buffer } | undefined> {
    return this.db.one(`SELECT mime_type, data FROM knowledge_blobs WHERE org_id = $1 AND knowledge_item_id = $2`, [this.org(), itemId]);
  }

  /** false when there was no blob (already consumed by an earlier delivery, or the item is gone). */
  async deleteBlob(itemId: string): Promise<boolean> {
    return (
      (
        await this.db.query(
          `DELETE FROM knowledge_blobs WHERE org_id = $1 AND knowledge_item_id = $2 RETURNING knowledge_item_id`,
          [this.org(), itemId],
        )
      ).length > 0
    );
  }

  /** The market listing published from this item by the caller's org, if any (listings are readable by all). */
  async listingOf(itemId: string): Promise<string | null> {
    const { orgId } = this.db.context();
    const row = await this.db.one<{ id: string }>(
      `SELECT id FROM market_listings WHERE publisher_org_id = $1 AND knowledge_item_id = $2`,
      [orgId, itemId],
    );
    return row?.id ?? null;
  }

  /** Deletes the item; its chunks, jobs, blobs and market listing go with it (foreign keys, ON DELETE CASCADE). */
  async delete(id: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM knowledge_items WHERE org_id = $1 AND id = $2 RETURNING id`, [this.org(), id])).length > 0;
  }
}
