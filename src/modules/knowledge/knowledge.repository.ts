import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import type { KnowledgeItemDetailDto, KnowledgeItemDto } from './dto/knowledge.dto.js';

const COLS = `id, title, source_kind, source_url, status, error, mime_type, file_name, byte_size, created_by,
  ${isoTs('created_at')}, ${isoTs('updated_at')}`;

export interface NewKnowledgeItem {
  title: string;
  sourceKind: 'text' | 'html' | 'url' | 'upload';
  sourceUrl?: string | null;
  contentText?: string | null;
  contentHtml?: string | null;
  mimeType?: string | null;
  fileName?: string | null;
  byteSize?: number | null;
}

/** knowledge_items, always inside the tenant transaction. */
@Injectable()
export class KnowledgeRepository {
  constructor(private readonly db: TenantDb) {}

  async create(item: NewKnowledgeItem): Promise<KnowledgeItemDto> {
    const { orgId, userId } = this.db.context();
    return (await this.db.one<KnowledgeItemDto>(
      `INSERT INTO knowledge_items (org_id, title, source_kind, source_url, content_text, content_html, mime_type, file_name, byte_size, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLS}`,
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
    return after
      ? this.db.query(
          `SELECT ${COLS} FROM knowledge_items WHERE (created_at, id) < ($1::timestamptz, $2::uuid)
           ORDER BY created_at DESC, id DESC LIMIT $3`,
          [after.createdAt, after.id, limit + 1],
        )
      : this.db.query(`SELECT ${COLS} FROM knowledge_items ORDER BY created_at DESC, id DESC LIMIT $1`, [limit + 1]);
  }

  get(id: string): Promise<KnowledgeItemDetailDto | undefined> {
    return this.db.one(`SELECT ${COLS}, content_text, content_html FROM knowledge_items WHERE id = $1`, [id]);
  }

  async setStatus(id: string, status: string, error: string | null = null): Promise<void> {
    await this.db.query(`UPDATE knowledge_items SET status = $2, error = $3, updated_at = clock_timestamp() WHERE id = $1`, [
      id,
      status,
      error,
    ]);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM knowledge_items WHERE id = $1 RETURNING id`, [id])).length > 0;
  }
}
