// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
/** The transaction's org (`app.org_id`; '' reads as NULL), evaluated once per statement (an InitPlan). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
const CURRENT_ACTOR_ROLE = `(select nullif(current_setting('app.actor_role', true), ''))`;
/** ENABLE + FORCE row-level security and one policy per command, all comparing org_id. */
function tenantTableSql(table) {
    const cmp = `org_id = ${CURRENT_ORG}`;
    return [
        `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
        `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
        `CREATE POLICY ${table}_select ON ${table} FOR SELECT USING (${cmp})`,
        `CREATE POLICY ${table}_insert ON ${table} FOR INSERT WITH CHECK (${cmp})`,
        `CREATE POLICY ${table}_update ON ${table} FOR UPDATE USING (${cmp}) WITH CHECK (${cmp})`,
        `CREATE POLICY ${table}_delete ON ${table} FOR DELETE USING (${cmp})`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${APP_ROLE}`,
    ];
}
/** Dimension of the embedding columns; the embedding provider must match it (checked at boot). */
export const EMBEDDING_DIM = 512;
/**
 * Dual search on pgvector.
 *
 * private_chunks (tenant table): one HNSW index over every org's vectors, plus the org_id-led
 * unique btree. match_private_chunks() picks the plan per org size: an org with fewer than
 * `rocker.search_exact_threshold` chunks (default 10000) is searched exactly through the btree
 * (a few thousand distances, always complete, recall 1.0); a larger org goes through HNSW with
 * pgvector 0.8 iterative scan (more candidates are read until enough of that org's rows pass the
 * filter), and falls back to the exact scan if the index still answers short. Never fewer than
 * match_count rows when the org has that many.
 *
 * market_listings / market_chunks (global): everyone reads; only the publishing org writes, and
 * only with an admin or owner actor role set in the transaction.
 */
export class Search1764100200000 {
    constructor() {
        this.name = 'Search1764100200000';
    }
    async up(q) {
        const pub = `publisher_org_id = ${CURRENT_ORG} AND ${CURRENT_ACTOR_ROLE} IN ('owner', 'admin', 'super_admin')`;
        const sql = [
            // tsv is kept by a trigger rather than GENERATED so that whole-row copies (INSERT ... SELECT *)
            // still work; english configuration, same as the queries.
            `CREATE FUNCTION chunk_tsv_trigger() RETURNS trigger LANGUAGE plpgsql AS $fn$
       BEGIN
         NEW.tsv := to_tsvector('english', coalesce(NEW.content, ''));
         RETURN NEW;
       END $fn$`,
            `CREATE TABLE private_chunks (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         knowledge_item_id uuid NOT NULL,
         chunk_index integer NOT NULL CHECK (chunk_index >= 0),
         content text NOT NULL,
         embedding vector(${EMBEDDING_DIM}) NOT NULL,
         tsv tsvector NOT NULL DEFAULT ''::tsvector,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, id),
         UNIQUE (org_id, knowledge_item_id, chunk_index),
         FOREIGN KEY (org_id, knowledge_item_id) REFERENCES knowledge_items (org_id, id) ON DELETE CASCADE
       )`,
            // vector's default storage is EXTERNAL: a 2 KB vector would be moved to TOAST and every exact
            // distance would cost a TOAST lookup. Kept inline instead (a row still fits a page).
            `ALTER TABLE private_chunks ALTER COLUMN embedding SET STORAGE PLAIN`,
            `CREATE TRIGGER private_chunks_tsv BEFORE INSERT OR UPDATE OF content ON private_chunks
         FOR EACH ROW EXECUTE FUNCTION chunk_tsv_trigger()`,
            // Sizing an org (bounded count) and the exact plan read this; deduplicated posting lists keep it small.
            `CREATE INDEX private_chunks_org_idx ON private_chunks (org_id)`,
            `CREATE INDEX private_chunks_embedding_hnsw ON private_chunks
         USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`,
            `CREATE INDEX private_chunks_tsv_gin ON private_chunks USING gin (tsv)`,
            ...tenantTableSql('private_chunks'),
            `CREATE TABLE market_listings (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         publisher_org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         knowledge_item_id uuid NOT NULL,
         title text NOT NULL,
         chunk_count integer NOT NULL DEFAULT 0,
         published_by uuid REFERENCES users(id) ON DELETE SET NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         UNIQUE (publisher_org_id, knowledge_item_id)
       )`,
            `CREATE INDEX market_listings_page_idx ON market_listings (created_at DESC, id DESC)`,
            `CREATE TABLE market_chunks (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         listing_id uuid NOT NULL REFERENCES market_listings(id) ON DELETE CASCADE,
         publisher_org_id uuid NOT NULL,
         chunk_index integer NOT NULL CHECK (chunk_index >= 0),
         content text NOT NULL,
         embedding vector(${EMBEDDING_DIM}) NOT NULL,
         tsv tsvector NOT NULL DEFAULT ''::tsvector,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         UNIQUE (listing_id, chunk_index)
       )`,
            `ALTER TABLE market_chunks ALTER COLUMN embedding SET STORAGE PLAIN`,
            `CREATE TRIGGER market_chunks_tsv BEFORE INSERT OR UPDATE OF content ON market_chunks
         FOR EACH ROW EXECUTE FUNCTION chunk_tsv_trigger()`,
            `CREATE INDEX market_chunks_embedding_hnsw ON market_chunks
         USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)`,
            `CREATE INDEX market_chunks_tsv_gin ON market_chunks USING gin (tsv)`,
            `CREATE INDEX market_chunks_publisher_idx ON market_chunks (publisher_org_id)`,
            ...['market_listings', 'market_chunks'].flatMap((t) => [
                `ALTER TABLE ${t} ENABLE ROW LEVEL SECURITY`,
                `ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`,
                `CREATE POLICY ${t}_select ON ${t} FOR SELECT USING (true)`,
                `CREATE POLICY ${t}_insert ON ${t} FOR INSERT WITH CHECK (${pub})`,
                `CREATE POLICY ${t}_update ON ${t} FOR UPDATE USING (${pub}) WITH CHECK (${pub})`,
                `CREATE POLICY ${t}_delete ON ${t} FOR DELETE USING (${pub})`,
                `GRANT SELECT, INSERT, UPDATE, DELETE ON ${t} TO ${APP_ROLE}`,
            ]),
            ...SEARCH_FUNCTIONS_SQL,
            `REVOKE ALL ON FUNCTION match_private_chunks(uuid, vector, int) FROM PUBLIC`,
            `REVOKE ALL ON FUNCTION match_market_chunks(vector, int) FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION match_private_chunks(uuid, vector, int) TO ${APP_ROLE}`,
            `GRANT EXECUTE ON FUNCTION match_market_chunks(vector, int) TO ${APP_ROLE}`,
        ];
        for (const s of sql)
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `DROP FUNCTION IF EXISTS match_market_chunks(vector, int)`,
            `DROP FUNCTION IF EXISTS match_private_chunks(uuid, vector, int)`,
            `DROP TABLE IF EXISTS market_chunks, market_listings, private_chunks CASCADE`,
            `DROP FUNCTION IF EXISTS chunk_tsv_trigger()`,
        ])
            await q.query(s);
    }
}
/**
 * The search functions, plain SQL for review. CREATE OR REPLACE so that a later migration (or the
 * benchmark on a reused corpus) can reapply them. Knobs, read per call from settings (e.g.
 * `ALTER DATABASE rocker SET rocker.search_exact_threshold = 5000`):
 * - rocker.search_exact_threshold (10000): orgs with fewer chunks are searched exactly;
 * - rocker.search_ef_search (200): HNSW candidate list (raised to match_count when larger);
 * - rocker.search_max_scan_tuples (20000): how far the iterative scan may go before the exact fallback.
 * (hnsw.* settings of the caller do not reach inside: the functions pin them with SET clauses.)
 * Relaxed-order iterative scan returns candidates nearly sorted; the MATERIALIZED CTE re-sorts them.
 * force_custom_plan: a cached generic plan would size every org alike (rows / orgs) and could pick
 * the btree-and-sort plan for the largest org.
 */
export const SEARCH_FUNCTIONS_SQL = [
    // Runs as the caller: RLS on private_chunks applies, so another org's id finds nothing even
    // without the explicit check below (which only spares the scan).
    `CREATE OR REPLACE FUNCTION match_private_chunks(org_id_in uuid, query_embedding vector, match_count int)
         RETURNS TABLE (id uuid, knowledge_item_id uuid, chunk_index integer, content text, similarity double precision)
         LANGUAGE plpgsql STABLE SECURITY INVOKER
         SET hnsw.iterative_scan = 'relaxed_order'
         SET hnsw.ef_search = 200
         SET hnsw.max_scan_tuples = 20000
         SET plan_cache_mode = force_custom_plan
         SET enable_sort = on
       AS $fn$
       DECLARE
         threshold integer := coalesce(nullif(current_setting('rocker.search_exact_threshold', true), '')::integer, 10000);
         ef integer := coalesce(nullif(current_setting('rocker.search_ef_search', true), '')::integer, 200);
         max_tuples integer := coalesce(nullif(current_setting('rocker.search_max_scan_tuples', true), '')::integer, 20000);
         n integer;
         ids uuid[];
       BEGIN
         IF org_id_in IS NULL OR match_count IS NULL OR match_count < 1 OR query_embedding IS NULL
            OR org_id_in IS DISTINCT FROM ${CURRENT_ORG} THEN
           RETURN;
         END IF;
         -- How big is the org? Counted up to the threshold only (an index-only scan of <= threshold entries).
         SELECT count(*) INTO n FROM (SELECT 1 FROM private_chunks c WHERE c.org_id = org_id_in LIMIT threshold) s;
         IF n >= threshold THEN
           PERFORM set_config('hnsw.ef_search', greatest(ef, match_count)::text, true);
           PERFORM set_config('hnsw.max_scan_tuples', max_tuples::text, true);
           -- The planner must walk the graph here, not sort the org's rows (that is the exact plan below).
           PERFORM set_config('enable_sort', 'off', true);
           WITH ann AS MATERIALIZED (
             SELECT c.id, c.embedding <=> query_embedding AS distance
               FROM private_chunks c
              WHERE c.org_id = org_id_in
              ORDER BY c.embedding <=> query_embedding
              LIMIT match_count
           )
           SELECT array_agg(a.id ORDER BY a.distance) INTO ids
             FROM ann a;
           IF coalesce(array_length(ids, 1), 0) >= match_count THEN
             RETURN QUERY
               SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, 1 - (c.embedding <=> query_embedding)
                 FROM unnest(ids) WITH ORDINALITY u(id, ord)
                 JOIN private_chunks c ON c.org_id = org_id_in AND c.id = u.id
                ORDER BY u.ord;
             RETURN;
           END IF;
           -- The index answered short (too selective for iterative scan): fall through to exact.
           PERFORM set_config('enable_sort', 'on', true);
         END IF;
         -- Exact: the ORDER BY is on similarity, which the HNSW index cannot serve, so the planner
         -- reads the org's rows through the org_id btree and sorts them.
         RETURN QUERY
           SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, 1 - (c.embedding <=> query_embedding) AS sim
             FROM private_chunks c
            WHERE c.org_id = org_id_in
            ORDER BY sim DESC, c.id
            LIMIT match_count;
       END
       $fn$`,
    `CREATE OR REPLACE FUNCTION match_market_chunks(query_embedding vector, match_count int)
         RETURNS TABLE (id uuid, listing_id uuid, chunk_index integer, content text, similarity double precision)
         LANGUAGE plpgsql STABLE SECURITY INVOKER
         SET hnsw.iterative_scan = 'relaxed_order'
         SET hnsw.ef_search = 200
         SET plan_cache_mode = force_custom_plan
       AS $fn$
       DECLARE
         ef integer := coalesce(nullif(current_setting('rocker.search_ef_search', true), '')::integer, 200);
         ids uuid[];
       BEGIN
         IF match_count IS NULL OR match_count < 1 OR query_embedding IS NULL THEN
           RETURN;
         END IF;
         PERFORM set_config('hnsw.ef_search', greatest(ef, match_count)::text, true);
         WITH ann AS MATERIALIZED (
           SELECT m.id, m.embedding <=> query_embedding AS distance
             FROM market_chunks m
            ORDER BY m.embedding <=> query_embedding
            LIMIT match_count
         )
         SELECT array_agg(a.id ORDER BY a.distance) INTO ids
           FROM ann a;
         IF coalesce(array_length(ids, 1), 0) < match_count THEN
           -- Short answer from the graph (tiny or freshly built index): exact over the table.
           SELECT array_agg(e.id ORDER BY e.distance) INTO ids
             FROM (SELECT m.id, m.embedding <=> query_embedding AS distance FROM market_chunks m
                    ORDER BY 1 - (m.embedding <=> query_embedding) DESC, m.id LIMIT match_count) e;
         END IF;
         RETURN QUERY
           SELECT m.id, m.listing_id, m.chunk_index, m.content, 1 - (m.embedding <=> query_embedding)
             FROM unnest(ids) WITH ORDINALITY u(id, ord)
             JOIN market_chunks m ON m.id = u.id
            ORDER BY u.ord;
       END
       $fn$`,
];
//# sourceMappingURL=1764100200000-Search.js.map