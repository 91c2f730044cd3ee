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
import { keysetPage } from '../../database/keyset-page.repository.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs } from '../../common/dto/page.dto.js';
const COLS = `id, title, source_kind, source_url, status, error, mime_type, file_name, byte_size, created_by,
  ${isoTs('created_at')}, ${isoTs('updated_at')}`;
/**
 * The SQL for a text column's parameter $n: a string as text; UTF-8 bytes as bytea that Postgres
 * decodes (and checks) as UTF-8. pg writes a Buffer parameter with one copy, where a multi-MB
 * string is UTF-8 encoded into the wire buffer on the event loop, stalling every org's requests.
 */
const textParam = (n, value) => Buffer.isBuffer(value) ? `convert_from($${n}::bytea, 'UTF8')` : `$${n}`;
/** knowledge_items and knowledge_blobs, always inside the tenant transaction; every query names the context's org (org_id = $1). */
let KnowledgeRepository = class KnowledgeRepository {
    constructor(db) {
        this.db = db;
    }
    org() {
        return this.db.context().orgId;
    }
    async create(item) {
        const { orgId, userId } = this.db.context();
        return (await this.db.one(`INSERT INTO knowledge_items (org_id, title, source_kind, source_url, content_text, content_html, mime_type, file_name, byte_size, created_by)
       VALUES ($1, $2, $3, $4, ${textParam(5, item.contentText)}, ${textParam(6, item.contentHtml)}, $7, $8, $9, $10)
       RETURNING ${COLS}`, [
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
        ]));
    }
    list(limit, after) {
        return keysetPage(this.db, `SELECT ${COLS} FROM knowledge_items WHERE org_id = $1`, [this.org()], limit, after);
    }
    get(id) {
        return this.db.one(`SELECT ${COLS}, content_text, content_html FROM knowledge_items WHERE org_id = $1 AND id = $2`, [this.org(), id]);
    }
    /** The item's text alone (undefined: no such item): never its HTML, which can be megabytes. */
    async text(id) {
        const row = await this.db.one(`SELECT content_text FROM knowledge_items WHERE org_id = $1 AND id = $2`, [this.org(), id]);
        return row ? row.content_text : undefined;
    }
    /** Locks the item row for this transaction and answers its text (undefined: no such item). */
    async lockText(id) {
        const row = await this.db.one(`SELECT content_text FROM knowledge_items WHERE org_id = $1 AND id = $2 FOR UPDATE`, [this.org(), id]);
        return row ? row.content_text : undefined;
    }
    async setStatus(id, status, error = null) {
        await this.db.query(`UPDATE knowledge_items SET status = $3, error = $4, updated_at = clock_timestamp() WHERE org_id = $1 AND id = $2`, [this.org(), id, status, error]);
    }
    /** Stores fetched or recognised text into an item (crawl and OCR jobs); running it twice changes nothing twice. */
    async setContent(id, c) {
        const rows = await this.db.query(`UPDATE knowledge_items
          SET content_text = $3, mime_type = coalesce($4, mime_type), byte_size = coalesce($5, byte_size),
              title = coalesce($6, title), updated_at = clock_timestamp()
        WHERE org_id = $1 AND id = $2 RETURNING id`, [this.org(), id, c.contentText, c.mimeType ?? null, c.byteSize ?? null, c.title ?? null]);
        return rows.length > 0;
    }
    /** Bytes a job still has to read (an image waiting for OCR). */
    async putBlob(itemId, mimeType, data) {
        const { orgId } = this.db.context();
        await this.db.query(`INSERT INTO knowledge_blobs (org_id, knowledge_item_id, mime_type, data) VALUES ($1, $2, $3, $4)`, [orgId, itemId, mimeType, data]);
    }
    getBlob(itemId) {
        return this.db.one(`SELECT mime_type, data FROM knowledge_blobs WHERE org_id = $1 AND knowledge_item_id = $2`, [this.org(), itemId]);
    }
    /** false when there was no blob (already consumed by an earlier delivery, or the item is gone). */
    async deleteBlob(itemId) {
        return ((await this.db.query(`DELETE FROM knowledge_blobs WHERE org_id = $1 AND knowledge_item_id = $2 RETURNING knowledge_item_id`, [this.org(), itemId])).length > 0);
    }
    /** The market listing published from this item by the caller's org, if any (listings are readable by all). */
    async listingOf(itemId) {
        const { orgId } = this.db.context();
        const row = await this.db.one(`SELECT id FROM market_listings WHERE publisher_org_id = $1 AND knowledge_item_id = $2`, [orgId, itemId]);
        return row?.id ?? null;
    }
    /** Deletes the item; its chunks, jobs, blobs and market listing go with it (foreign keys, ON DELETE CASCADE). */
    async delete(id) {
        return (await this.db.query(`DELETE FROM knowledge_items WHERE org_id = $1 AND id = $2 RETURNING id`, [this.org(), id])).length > 0;
    }
};
KnowledgeRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TenantDb])
], KnowledgeRepository);
export { KnowledgeRepository };
//# sourceMappingURL=knowledge.repository.js.map