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
const LISTING_COLS = `id, publisher_org_id, title, chunk_count, ${isoTs('created_at')}, ${isoTs('updated_at')}`;
/**
 * market_listings and market_chunks (publishing copies an item's private chunks into the market);
 * always inside the tenant transaction. The market search queries live with the search module.
 */
let MarketRepository = class MarketRepository {
    constructor(db) {
        this.db = db;
    }
    /** Chunks the item has in the org's private index (what publishing would copy). */
    async countChunks(knowledgeItemId) {
        const r = await this.db.one(`SELECT count(*)::int AS n FROM private_chunks WHERE org_id = $1 AND knowledge_item_id = $2`, [this.db.context().orgId, knowledgeItemId]);
        return r?.n ?? 0;
    }
    /**
     * What the org keeps in the vector indexes, except the copy its listing of this item holds (which
     * publishing replaces): all its private chunks plus its other listings' chunks, each counted up
     * to `atMost` (a cap check reads no further).
     */
    async storedBesidesListingOf(knowledgeItemId, atMost) {
        const r = await this.db.one(`SELECT (SELECT count(*) FROM (SELECT 1 FROM private_chunks WHERE org_id = $1 LIMIT $3) p)::int
            + (SELECT count(*) FROM (SELECT 1 FROM market_chunks m JOIN market_listings l ON l.id = m.listing_id
                                      WHERE m.publisher_org_id = $1 AND l.knowledge_item_id <> $2 LIMIT $3) k)::int AS n`, [this.db.context().orgId, knowledgeItemId, atMost]);
        return r?.n ?? 0;
    }
    /** Creates or refreshes the listing of an item and copies its chunks into the market. */
    async publish(knowledgeItemId, title) {
        const { orgId, userId } = this.db.context();
        const listing = (await this.db.one(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title, published_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (publisher_org_id, knowledge_item_id)
       DO UPDATE SET title = EXCLUDED.title, published_by = EXCLUDED.published_by, updated_at = clock_timestamp()
       RETURNING id`, [orgId, knowledgeItemId, title, userId]));
        await this.db.query(`DELETE FROM market_chunks WHERE listing_id = $1`, [listing.id]);
        await this.db.query(`INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
       SELECT $1, c.org_id, c.chunk_index, c.content, c.embedding FROM private_chunks c WHERE c.org_id = $3 AND c.knowledge_item_id = $2`, [listing.id, knowledgeItemId, orgId]);
        return (await this.db.one(`UPDATE market_listings SET chunk_count = (SELECT count(*) FROM market_chunks WHERE listing_id = $1)
        WHERE id = $1 RETURNING ${LISTING_COLS}`, [listing.id]));
    }
    listListings(limit, after) {
        // A global table (every org reads the market): no org filter.
        return keysetPage(this.db, `SELECT ${LISTING_COLS} FROM market_listings WHERE true`, [], limit, after);
    }
    /** RLS lets only the publishing org (admin or owner actor) delete: anything else deletes nothing. */
    async unpublish(listingId) {
        return ((await this.db.query(`DELETE FROM market_listings WHERE id = $1 RETURNING id`, [listingId])).length > 0);
    }
};
MarketRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TenantDb])
], MarketRepository);
export { MarketRepository };
//# sourceMappingURL=market.repository.js.map