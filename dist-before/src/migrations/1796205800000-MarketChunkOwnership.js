// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
/** The verified context's org and actor role (VerifiedTenantContext), once per statement (an InitPlan). */
const CURRENT_ORG = `(select app_ctx_org())`;
const CURRENT_ACTOR_ROLE = `(select app_ctx_actor_role())`;
/** The publishing org's admin (the Search migration's write condition on both market tables). */
const PUB = `publisher_org_id = ${CURRENT_ORG} AND ${CURRENT_ACTOR_ROLE} IN ('owner', 'admin', 'super_admin')`;
/** The chunk's listing belongs to the transaction's org (one primary-key probe per written row). */
const OWNED_LISTING = `EXISTS (SELECT 1 FROM market_listings l
                                WHERE l.id = market_chunks.listing_id AND l.publisher_org_id = ${CURRENT_ORG})`;
/**
 * A chunk can only be written into a listing that the writer's org owns (issue 16, item 3).
 *
 * Before this, market_chunks' write policies compared only the chunk's own publisher_org_id with
 * the transaction's org: an admin context of org A could insert chunks (publisher_org_id = A) into
 * org B's listing, and they were served by market search as part of B's listing.
 *
 * - market_chunks_insert / _update WITH CHECK now also require the listing to belong to the
 *   transaction's org (refused with 42501, like every other RLS write refusal).
 * - The chunk's publisher is its listing's publisher, for every role, the owner included: the
 *   foreign key becomes (publisher_org_id, listing_id) → market_listings (publisher_org_id, id),
 *   still ON DELETE CASCADE; a listing cannot change org while it has chunks.
 *
 * Chunks already written into another org's listing are deleted first (and the listings' chunk
 * counts recomputed). Both tables force RLS on their owner too; the clean-up runs with FORCE lifted
 * inside the migration's one transaction, so no other session ever sees the tables unforced.
 */
export class MarketChunkOwnership1796205800000 {
    constructor() {
        this.name = 'MarketChunkOwnership1796205800000';
    }
    async up(q) {
        for (const s of [
            `ALTER TABLE market_chunks NO FORCE ROW LEVEL SECURITY`,
            `ALTER TABLE market_listings NO FORCE ROW LEVEL SECURITY`,
            `DELETE FROM market_chunks m
        WHERE NOT EXISTS (SELECT 1 FROM market_listings l WHERE l.id = m.listing_id AND l.publisher_org_id = m.publisher_org_id)`,
            // a separate statement: in one statement with the DELETE, the count would still see the deleted rows
            `UPDATE market_listings l SET chunk_count = x.n
         FROM (SELECT l2.id, count(c.id)::int AS n FROM market_listings l2
                 LEFT JOIN market_chunks c ON c.listing_id = l2.id GROUP BY l2.id) x
        WHERE x.id = l.id AND l.chunk_count <> x.n`,
            `ALTER TABLE market_listings ADD CONSTRAINT market_listings_publisher_id_key UNIQUE (publisher_org_id, id)`,
            `ALTER TABLE market_chunks DROP CONSTRAINT market_chunks_listing_id_fkey`,
            `ALTER TABLE market_chunks ADD CONSTRAINT market_chunks_listing_owner_fk
         FOREIGN KEY (publisher_org_id, listing_id) REFERENCES market_listings (publisher_org_id, id) ON DELETE CASCADE`,
            `ALTER TABLE market_listings FORCE ROW LEVEL SECURITY`,
            `ALTER TABLE market_chunks FORCE ROW LEVEL SECURITY`,
            `DROP POLICY market_chunks_insert ON market_chunks`,
            `DROP POLICY market_chunks_update ON market_chunks`,
            `CREATE POLICY market_chunks_insert ON market_chunks FOR INSERT WITH CHECK (${PUB} AND ${OWNED_LISTING})`,
            `CREATE POLICY market_chunks_update ON market_chunks FOR UPDATE USING (${PUB}) WITH CHECK (${PUB} AND ${OWNED_LISTING})`,
        ])
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `DROP POLICY IF EXISTS market_chunks_insert ON market_chunks`,
            `DROP POLICY IF EXISTS market_chunks_update ON market_chunks`,
            `CREATE POLICY market_chunks_insert ON market_chunks FOR INSERT WITH CHECK (${PUB})`,
            `CREATE POLICY market_chunks_update ON market_chunks FOR UPDATE USING (${PUB}) WITH CHECK (${PUB})`,
            `ALTER TABLE market_chunks DROP CONSTRAINT IF EXISTS market_chunks_listing_owner_fk`,
            `ALTER TABLE market_chunks ADD CONSTRAINT market_chunks_listing_id_fkey
         FOREIGN KEY (listing_id) REFERENCES market_listings (id) ON DELETE CASCADE`,
            `ALTER TABLE market_listings DROP CONSTRAINT IF EXISTS market_listings_publisher_id_key`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1796205800000-MarketChunkOwnership.js.map