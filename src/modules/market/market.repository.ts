import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../database/keyset-page.repository.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import type { ListingDto } from './dto/market.dto.js';

/**
 * Chunks one statement of a copy writes into the market's vector index. A statement of a whole
 * item could pass the app role's statement_timeout (15 s) on a busy machine: 2,000 random 512-d
 * vectors into the HNSW index took 5.9 s alone, and copies beside other work 8-13 s (the
 * fair-share bench's publishes were answered 503 when one passed 15 s). A hundred take a fraction
 * of a second; the copy is still one transaction.
 */
const COPY_ROWS_PER_STATEMENT = 100;

const LISTING_COLS = `id, publisher_org_id, title, chunk_count, ${isoTs('created_at')}, ${isoTs('updated_at')}`;

/**
 * market_listings and market_chunks (publishing copies an item's private chunks into the market);
 * always inside the tenant transaction. The market search queries live with the search module.
 */
@Injectable()
export class MarketRepository {
  constructor(private readonly db: TenantDb) {}

  /** Chunks the item has in the org's private index (what publishing would copy). */
  async countChunks(knowledgeItemId: string): Promise<number> {
    const r = await this.db.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM private_chunks WHERE org_id = $1 AND knowledge_item_id = $2`,
      [this.db.context().orgId, knowledgeItemId],
    );
    return r?.n ?? 0;
  }

  /**
   * What the org keeps in the vector indexes, except the copy its listing of this item holds (which
   * publishing replaces): all its private chunks plus its other listings' chunks, each counted up
   * to `atMost` (a cap check reads no further).
   */
  async storedBesidesListingOf(knowledgeItemId: string, atMost: number): Promise<number> {
    const r = await this.db.one<{ n: number }>(
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM private_chunks WHERE org_id = $1 LIMIT $3) p)::int
            + (SELECT count(*) FROM (SELECT 1 FROM market_chunks m JOIN market_listings l ON l.id = m.listing_id
                                      WHERE m.publisher_org_id = $1 AND l.knowledge_item_id <> $2 LIMIT $3) k)::int AS n`,
      [this.db.context().orgId, knowledgeItemId, atMost],
    );
    return r?.n ?? 0;
  }

  /**
   * Creates or refreshes the listing of an item and copies its chunks into the market, unless the
   * listing's copy is current: copied after the item last changed (an embed write sets its
   * updated_at) and as many chunks. The item is locked for share first, so an embed write in
   * flight commits before the check (or waits for this copy). A current copy is kept (its title
   * follows the item's): refreshing an unchanged listing writes no chunk into the vector index.
   */
  async publish(knowledgeItemId: string, title: string, beforeCopy: () => Promise<void> = async () => undefined): Promise<ListingDto> {
    const { orgId, userId } = this.db.context();
    await this.db.query(`SELECT 1 FROM knowledge_items WHERE org_id = $1 AND id = $2 FOR SHARE`, [orgId, knowledgeItemId]);
    const listing = (await this.db.one<ListingDto & { current: boolean }>(
      `WITH copy AS (
         SELECT l.chunk_count = (SELECT count(*) FROM private_chunks c WHERE c.org_id = $1 AND c.knowledge_item_id = $2)
                AND (SELECT min(m.created_at) FROM market_chunks m WHERE m.listing_id = l.id)
                    > (SELECT i.updated_at FROM knowledge_items i WHERE i.org_id = $1 AND i.id = $2) AS current
           FROM market_listings l WHERE l.publisher_org_id = $1 AND l.knowledge_item_id = $2)
       INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title, published_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (publisher_org_id, knowledge_item_id)
       DO UPDATE SET title = EXCLUDED.title, published_by = EXCLUDED.published_by, updated_at = clock_timestamp()
       RETURNING ${LISTING_COLS}, coalesce((SELECT current FROM copy), false) AS current`,
      [orgId, knowledgeItemId, title, userId],
    ))!;
    if (listing.current) {
      const { current: _, ...kept } = listing;
      return kept;
    }
    await beforeCopy(); // a refusal rolls the listing back: nothing is written
    await this.db.query(`DELETE FROM market_chunks WHERE listing_id = $1`, [listing.id]);
    // in statements of COPY_ROWS_PER_STATEMENT chunks, in chunk order (the item's unique index)
    for (let after = -1; ; ) {
      const copied = await this.db.query<{ chunk_index: number }>(
        `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
         SELECT $1, c.org_id, c.chunk_index, c.content, c.embedding FROM private_chunks c
          WHERE c.org_id = $3 AND c.knowledge_item_id = $2 AND c.chunk_index > $4
          ORDER BY c.chunk_index LIMIT $5
         RETURNING chunk_index`,
        [listing.id, knowledgeItemId, orgId, after, COPY_ROWS_PER_STATEMENT],
      );
      if (copied.length < COPY_ROWS_PER_STATEMENT) break;
      after = Math.max(...copied.map((r) => r.chunk_index));
    }
    return (await this.db.one<ListingDto>(
      `UPDATE market_listings SET chunk_count = (SELECT count(*) FROM market_chunks WHERE listing_id = $1)
        WHERE id = $1 RETURNING ${LISTING_COLS}`,
      [listing.id],
    ))!;
  }

  listListings(limit: number, after?: Keyset): Promise<ListingDto[]> {
    // A global table (every org reads the market): no org filter.
    return keysetPage(this.db, `SELECT ${LISTING_COLS} FROM market_listings WHERE true`, 'market_listings', [], limit, after);
  }

  /** RLS lets only the publishing org (admin or owner actor) delete: anything else deletes nothing. */
  async unpublish(listingId: string): Promise<boolean> {
    return (
      (await this.db.query(`DELETE FROM market_listings WHERE id = $1 RETURNING id`, [listingId])).length > 0
    );
  }
}
