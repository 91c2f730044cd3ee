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
import pgvector from 'pgvector';
import { TenantDb } from '../../tenancy/tenant-context.js';
/**
 * private_chunks (written by the embed step) and the search queries over both indexes (private and
 * market chunks); always inside the tenant transaction. Listings and their chunks are written by
 * the market's own repository.
 */
let SearchRepository = class SearchRepository {
    constructor(db) {
        this.db = db;
    }
    /** Vector search over the current org's chunks (exact or HNSW, chosen in SQL by org size). */
    matchPrivate(embedding, k) {
        return this.db.query(`SELECT id, knowledge_item_id, chunk_index, content, similarity AS score FROM match_private_chunks($1, $2::vector, $3)`, [this.db.context().orgId, pgvector.toSql(embedding), k]);
    }
    textPrivate(query, k) {
        return this.db.query(`SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, ts_rank_cd(c.tsv, q) AS score
         FROM private_chunks c, websearch_to_tsquery('english', $2) q
        WHERE c.org_id = $1 AND c.tsv @@ q
        ORDER BY score DESC, c.id LIMIT $3`, [this.db.context().orgId, query, k]);
    }
    matchMarket(embedding, k) {
        return this.db.query(`SELECT id, listing_id, chunk_index, content, similarity AS score FROM match_market_chunks($1::vector, $2)`, [pgvector.toSql(embedding), k]);
    }
    textMarket(query, k) {
        return this.db.query(`SELECT m.id, m.listing_id, m.chunk_index, m.content, ts_rank_cd(m.tsv, q) AS score
         FROM market_chunks m, websearch_to_tsquery('english', $1) q
        WHERE m.tsv @@ q
        ORDER BY score DESC, m.id LIMIT $2`, [query, k]);
    }
    /**
     * What the org keeps in the vector indexes besides `itemId`'s private chunks: its other items'
     * chunks plus the copies its market listings hold (caps.stored_chunks counts both), each counted
     * up to `atMost` (a cap check reads no further).
     */
    async countChunksBesides(itemId, atMost) {
        const row = await this.db.one(`SELECT (SELECT count(*) FROM (SELECT 1 FROM private_chunks WHERE org_id = $3 AND knowledge_item_id <> $1 LIMIT $2) c)::int
            + (SELECT count(*) FROM (SELECT 1 FROM market_chunks WHERE publisher_org_id = $3 LIMIT $2) m)::int AS n`, [itemId, atMost, this.db.context().orgId]);
        return row?.n ?? 0;
    }
    /**
     * Upserts an item's chunks by (org, item, chunk_index) and deletes indexes past the new count,
     * so re-running leaves exactly one set. One statement: every chunk in one multi-row INSERT
     * (arrays unnested), the delete in a data-modifying CTE (it only touches indexes the insert does not).
     */
    async replaceChunks(knowledgeItemId, contents, vectors) {
        if (vectors.count !== contents.length)
            throw new Error(`${contents.length} chunks but ${vectors.count} vectors for item ${knowledgeItemId}`);
        // The vectors arrive as one bytea (the UTF-8 text of a text[] literal, vector-literal.ts):
        // formatted off the event loop, sent without a copy or an escape.
        await this.db.query(`WITH gone AS (
         DELETE FROM private_chunks WHERE org_id = $1 AND knowledge_item_id = $2 AND chunk_index >= cardinality($3::text[]))
       INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
       SELECT $1, $2, t.ord - 1, t.content, t.embedding::vector
         FROM unnest($3::text[], convert_from($4::bytea, 'UTF8')::text[]) WITH ORDINALITY t(content, embedding, ord)
       ON CONFLICT (org_id, knowledge_item_id, chunk_index)
       DO UPDATE SET content = EXCLUDED.content, embedding = EXCLUDED.embedding`, [this.db.context().orgId, knowledgeItemId, contents, vectors.literal]);
    }
};
SearchRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TenantDb])
], SearchRepository);
export { SearchRepository };
//# sourceMappingURL=search.repository.js.map