/**
 * A market listing is derived from one knowledge item of its publisher: it must not outlive it.
 * Before this, deleting a knowledge item left its published copy (market_listings + market_chunks)
 * readable by every org. Now the listing references the item, ON DELETE CASCADE (and its chunks
 * cascade from the listing), so no path (API, script, plain SQL) can leave published text behind.
 * Referential actions run as the table owner without row security, so the cascade holds whatever
 * the deleting actor's role; the API decides who may delete a published item (admin+).
 *
 * Listings whose item is already gone are removed first. Both tables force RLS on their owner too;
 * the clean-up and the constraint's validation run with FORCE lifted, inside the migration's one
 * transaction, so no other session ever sees the tables unforced.
 */
export class ListingItemLink1764100700000 {
    constructor() {
        this.name = 'ListingItemLink1764100700000';
    }
    async up(q) {
        for (const s of [
            `ALTER TABLE market_listings NO FORCE ROW LEVEL SECURITY`,
            `ALTER TABLE knowledge_items NO FORCE ROW LEVEL SECURITY`,
            `DELETE FROM market_listings l
        WHERE NOT EXISTS (SELECT 1 FROM knowledge_items k WHERE k.org_id = l.publisher_org_id AND k.id = l.knowledge_item_id)`,
            // Validated while FORCE is lifted: PostgreSQL's one-query validation of a new foreign key runs
            // as the owner under its forced policies (with no org set it would see no item at all).
            `ALTER TABLE market_listings ADD CONSTRAINT market_listings_knowledge_item_fk
         FOREIGN KEY (publisher_org_id, knowledge_item_id) REFERENCES knowledge_items (org_id, id) ON DELETE CASCADE`,
            `ALTER TABLE knowledge_items FORCE ROW LEVEL SECURITY`,
            `ALTER TABLE market_listings FORCE ROW LEVEL SECURITY`,
        ])
            await q.query(s);
    }
    async down(q) {
        await q.query(`ALTER TABLE market_listings DROP CONSTRAINT IF EXISTS market_listings_knowledge_item_fk`);
    }
}
//# sourceMappingURL=1764100700000-ListingItemLink.js.map