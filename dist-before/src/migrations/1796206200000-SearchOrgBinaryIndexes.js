// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
/** The raw org setting, as the Search migration's function compares it (RLS, not this check, is the guard). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/**
 * match_private_chunks with a second kind of per-org graph, of sign bits: an org the maintenance
 * pass (src/modules/search/org-indexes.ts) gave `private_chunks_bq_org_<org id without dashes>`, a
 * partial HNSW index on `binary_quantize(embedding)::bit(<dim>)` (Hamming distance), is searched
 * through it: the walk gives C candidates (`rocker.search_org_bits_candidates`, default 40, and at
 * least 4 × k), re-ranked by the exact cosine distance of their stored vectors. A graph element
 * is 64 bytes instead of a half-precision vector's 1 KB and its distance a few popcounts, so the
 * walk costs less than the shared index's for the same candidates. The pass gives this kind only
 * to orgs of SEARCH_ORG_INDEX_BITS_MIN_CHUNKS or more, and only when that is set (off by default):
 * where an org's nearest rows are scattered rather than crowded, their Hamming order is too coarse
 * for 40 candidates (bench:search, bench:quantization).
 *
 * An org with `private_chunks_hnsw_org_<hex>` (the SearchOrgIndexes migration's half-precision
 * graph) is searched through it as before. When an org changes kind, the pass builds the new
 * index before it drops the old one, so the org always has a graph; if both exist, sign bits win.
 *
 * `hnsw.ef_search` is capped at 1000, pgvector's bound (more candidates, or a larger k, come from
 * the iterative scan the function turns on). `SET jit = off`: where the function turns sorting off, a plan that must still sort carries
 * the penalty in its estimated cost, over jit_above_cost, and JIT compiled it for 150 ms.
 *
 * The rest is the SearchOrgIndexes function: the org check, SECURITY INVOKER (RLS applies to the
 * dynamic statements as to any other), the org as a literal built by format('%L') from the
 * uuid-typed argument so that the planner can prove the partial index's predicate (hex and dashes:
 * nothing a caller shapes; embedding, k and C stay parameters), exact search below the threshold,
 * the shared index with iterative scan for a large org without an index of its own, and the exact
 * fallback whenever an index answers short.
 */
export const MATCH_PRIVATE_CHUNKS_SQL = `CREATE OR REPLACE FUNCTION match_private_chunks(org_id_in uuid, query_embedding vector, match_count int)
         RETURNS TABLE (id uuid, knowledge_item_id uuid, chunk_index integer, content text, similarity double precision)
         LANGUAGE plpgsql STABLE SECURITY INVOKER
         SET hnsw.iterative_scan = 'relaxed_order'
         SET hnsw.ef_search = 200
         SET hnsw.max_scan_tuples = 20000
         SET plan_cache_mode = force_custom_plan
         SET enable_sort = on
         SET jit = off
       AS $fn$
       DECLARE
         threshold integer := coalesce(nullif(current_setting('rocker.search_exact_threshold', true), '')::integer, 10000);
         ef integer := coalesce(nullif(current_setting('rocker.search_ef_search', true), '')::integer, 200);
         org_ef integer := coalesce(nullif(current_setting('rocker.search_org_ef_search', true), '')::integer, 100);
         bits_candidates integer := coalesce(nullif(current_setting('rocker.search_org_bits_candidates', true), '')::integer, 40);
         max_tuples integer := coalesce(nullif(current_setting('rocker.search_max_scan_tuples', true), '')::integer, 20000);
         hex text := replace(org_id_in::text, '-', '');
         bits_name regclass := to_regclass('public.private_chunks_bq_org_' || hex);
         half_name regclass := to_regclass('public.private_chunks_hnsw_org_' || hex);
         org_index regclass;
         candidates integer;
         n integer;
         ids uuid[];
       BEGIN
         IF org_id_in IS NULL OR match_count IS NULL OR match_count < 1 OR query_embedding IS NULL
            OR org_id_in IS DISTINCT FROM ${CURRENT_ORG} THEN
           RETURN;
         END IF;
         -- The org's own index, if the maintenance pass built it (a failed concurrent build leaves it
         -- invalid: unused), in one catalog read; of both kinds, sign bits.
         SELECT i.indexrelid INTO org_index FROM pg_catalog.pg_index i
          WHERE i.indexrelid IN (bits_name, half_name)
            AND i.indrelid = 'public.private_chunks'::regclass AND i.indisvalid
          ORDER BY i.indexrelid = bits_name DESC
          LIMIT 1;
         IF org_index = bits_name THEN
           candidates := greatest(bits_candidates, 4 * match_count);
           PERFORM set_config('hnsw.ef_search', least(candidates, 1000)::text, true);
           PERFORM set_config('enable_sort', 'off', true);
           -- The C nearest in Hamming distance of the sign bits (the index's expression), then the
           -- k nearest of those by the exact distance, sorted inside the aggregate: a Sort node here
           -- would carry enable_sort's penalty into the plan's cost.
           EXECUTE format($q$
             SELECT (array_agg(b.id ORDER BY b.embedding <=> $1, b.id))[1:$2]
               FROM (SELECT c.id, c.embedding
                       FROM private_chunks c
                      WHERE c.org_id = %L::uuid
                      ORDER BY binary_quantize(c.embedding)::bit(%s) <~> binary_quantize($1)
                      LIMIT $3) b$q$, org_id_in, vector_dims(query_embedding))
             INTO ids USING query_embedding, match_count, candidates;
           PERFORM set_config('enable_sort', 'on', true);
         ELSIF org_index IS NOT NULL THEN
           PERFORM set_config('hnsw.ef_search', least(greatest(org_ef, match_count), 1000)::text, true);
           PERFORM set_config('enable_sort', 'off', true);
           -- Candidates in half-precision order (the index's expression), ranked by the exact distance.
           EXECUTE format($q$
             SELECT array_agg(a.id ORDER BY a.distance)
               FROM (SELECT c.id, c.embedding <=> $1 AS distance
                       FROM private_chunks c
                      WHERE c.org_id = %L::uuid
                      ORDER BY c.embedding::halfvec(%s) <=> $1::halfvec(%s)
                      LIMIT $2) a$q$, org_id_in, vector_dims(query_embedding), vector_dims(query_embedding))
             INTO ids USING query_embedding, match_count;
           PERFORM set_config('enable_sort', 'on', true);
         ELSE
           -- How big is the org? Counted up to the threshold only (an index-only scan of <= threshold entries).
           SELECT count(*) INTO n FROM (SELECT 1 FROM private_chunks c WHERE c.org_id = org_id_in LIMIT threshold) s;
           IF n >= threshold THEN
             PERFORM set_config('hnsw.ef_search', least(greatest(ef, match_count), 1000)::text, true);
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
             PERFORM set_config('enable_sort', 'on', true);
           END IF;
         END IF;
         IF coalesce(array_length(ids, 1), 0) >= match_count THEN
           RETURN QUERY
             SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, 1 - (c.embedding <=> query_embedding)
               FROM unnest(ids) WITH ORDINALITY u(id, ord)
               JOIN private_chunks c ON c.org_id = org_id_in AND c.id = u.id
              ORDER BY u.ord;
           RETURN;
         END IF;
         -- A small org, or an index answered short: exact. The ORDER BY is on similarity, which no
         -- HNSW index can serve, so the planner reads the org's rows through the org_id btree and sorts them.
         RETURN QUERY
           SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, 1 - (c.embedding <=> query_embedding) AS sim
             FROM private_chunks c
            WHERE c.org_id = org_id_in
            ORDER BY sim DESC, c.id
            LIMIT match_count;
       END
       $fn$`;
/** The SearchOrgIndexes migration's function, byte-for-byte (restored by down()). */
const HEAD_BEFORE = `CREATE OR REPLACE FUNCTION match_private_chunks(org_id_in uuid, query_embedding vector, match_count int)
         RETURNS TABLE (id uuid, knowledge_item_id uuid, chunk_index integer, content text, similarity double precision)
         LANGUAGE plpgsql STABLE SECURITY INVOKER
         SET hnsw.iterative_scan = 'relaxed_order'
         SET hnsw.ef_search = 200
         SET hnsw.max_scan_tuples = 20000
         SET plan_cache_mode = force_custom_plan
         SET enable_sort = on
       AS $fn$`;
const MATCH_PRIVATE_CHUNKS_BEFORE = `${HEAD_BEFORE}
       DECLARE
         threshold integer := coalesce(nullif(current_setting('rocker.search_exact_threshold', true), '')::integer, 10000);
         ef integer := coalesce(nullif(current_setting('rocker.search_ef_search', true), '')::integer, 200);
         org_ef integer := coalesce(nullif(current_setting('rocker.search_org_ef_search', true), '')::integer, 100);
         max_tuples integer := coalesce(nullif(current_setting('rocker.search_max_scan_tuples', true), '')::integer, 20000);
         org_index regclass;
         n integer;
         ids uuid[];
       BEGIN
         IF org_id_in IS NULL OR match_count IS NULL OR match_count < 1 OR query_embedding IS NULL
            OR org_id_in IS DISTINCT FROM ${CURRENT_ORG} THEN
           RETURN;
         END IF;
         -- The org's own index, if the maintenance job built it (a failed concurrent build leaves it invalid: unused).
         org_index := to_regclass('public.private_chunks_hnsw_org_' || replace(org_id_in::text, '-', ''));
         IF org_index IS NOT NULL AND EXISTS (
              SELECT 1 FROM pg_catalog.pg_index i
               WHERE i.indexrelid = org_index AND i.indrelid = 'public.private_chunks'::regclass AND i.indisvalid) THEN
           PERFORM set_config('hnsw.ef_search', greatest(org_ef, match_count)::text, true);
           PERFORM set_config('enable_sort', 'off', true);
           -- Candidates in half-precision order (the index's expression), ranked by the exact distance.
           EXECUTE format($q$
             SELECT array_agg(a.id ORDER BY a.distance)
               FROM (SELECT c.id, c.embedding <=> $1 AS distance
                       FROM private_chunks c
                      WHERE c.org_id = %L::uuid
                      ORDER BY c.embedding::halfvec(%s) <=> $1::halfvec(%s)
                      LIMIT $2) a$q$, org_id_in, vector_dims(query_embedding), vector_dims(query_embedding))
             INTO ids USING query_embedding, match_count;
           PERFORM set_config('enable_sort', 'on', true);
         ELSE
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
             PERFORM set_config('enable_sort', 'on', true);
           END IF;
         END IF;
         IF coalesce(array_length(ids, 1), 0) >= match_count THEN
           RETURN QUERY
             SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, 1 - (c.embedding <=> query_embedding)
               FROM unnest(ids) WITH ORDINALITY u(id, ord)
               JOIN private_chunks c ON c.org_id = org_id_in AND c.id = u.id
              ORDER BY u.ord;
           RETURN;
         END IF;
         -- A small org, or an index answered short: exact. The ORDER BY is on similarity, which no
         -- HNSW index can serve, so the planner reads the org's rows through the org_id btree and sorts them.
         RETURN QUERY
           SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, 1 - (c.embedding <=> query_embedding) AS sim
             FROM private_chunks c
            WHERE c.org_id = org_id_in
            ORDER BY sim DESC, c.id
            LIMIT match_count;
       END
       $fn$`;
/**
 * Per-org search graphs of sign bits for large orgs (docs/search.md). The indexes themselves are
 * not schema (the maintenance pass builds and drops them); down() drops the sign-bit ones, which
 * the earlier function cannot use, and restores that function.
 */
export class SearchOrgBinaryIndexes1796206200000 {
    constructor() {
        this.name = 'SearchOrgBinaryIndexes1796206200000';
    }
    async up(q) {
        // The function's SET hnsw.* clauses need pgvector's settings defined in this session.
        for (const s of [`SELECT '[1]'::vector`, MATCH_PRIVATE_CHUNKS_SQL])
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `SELECT '[1]'::vector`,
            MATCH_PRIVATE_CHUNKS_BEFORE,
            `DO $do$
       DECLARE r record;
       BEGIN
         FOR r IN SELECT c.relname FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
                   WHERE i.indrelid = 'public.private_chunks'::regclass AND i.indpred IS NOT NULL
                     AND c.relname ~ '^private_chunks_bq_org_[0-9a-f]{32}$' LOOP
           EXECUTE format('DROP INDEX public.%I', r.relname);
         END LOOP;
       END $do$`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1796206200000-SearchOrgBinaryIndexes.js.map