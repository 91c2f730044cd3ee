// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
/** The raw org setting, as the Search migration's function compares it (RLS, not this check, is the guard). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/**
 * match_private_chunks with each sign-bit index's own candidate count: the per-org index pass
 * (src/modules/search/org-indexes.ts) measures, on a sample of the org's own rows as queries, the
 * smallest candidate count whose recall@10 reaches its target, and writes it into the index's
 * comment: `rocker-search candidates=<n> ...` (a sign-bit graph that needs more than the pass
 * allows is replaced by a half-precision one). The function reads that comment in the catalog read
 * that finds the index (pg_description, by the index's oid), scales it with k (it was measured for
 * k = 10), keeps the floor of 4 x k, and uses it unless `rocker.search_org_bits_candidates` is
 * set, which still wins (an operator's override); without a comment the default is 40 as before.
 * Only the index's owner can comment on it, and the number is at most 4 digits. When an org has
 * both kinds (between a build and the drop of the old one), its sign-bit index serves only once
 * measured: until then the half-precision graph does (the earlier function preferred sign bits).
 *
 * The rest is the SearchOrgBinaryIndexes function unchanged (half-precision graphs keep
 * `rocker.search_org_ef_search`, default 100).
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
         -- Set by an operator, it wins over a sign-bit index's own calibration (NULL when unset).
         bits_set integer := nullif(current_setting('rocker.search_org_bits_candidates', true), '')::integer;
         max_tuples integer := coalesce(nullif(current_setting('rocker.search_max_scan_tuples', true), '')::integer, 20000);
         hex text := replace(org_id_in::text, '-', '');
         bits_name regclass := to_regclass('public.private_chunks_bq_org_' || hex);
         half_name regclass := to_regclass('public.private_chunks_hnsw_org_' || hex);
         org_index regclass;
         -- A sign-bit index's calibrated candidate count (measured for k = 10), scaled with k.
         tuned integer;
         candidates integer;
         n integer;
         ids uuid[];
       BEGIN
         IF org_id_in IS NULL OR match_count IS NULL OR match_count < 1 OR query_embedding IS NULL
            OR org_id_in IS DISTINCT FROM ${CURRENT_ORG} THEN
           RETURN;
         END IF;
         -- The org's own index, if the maintenance pass built it (a failed concurrent build leaves it
         -- invalid: unused), in one catalog read. The pass writes what it measured of a sign-bit
         -- index into its comment (only the owner can): 'rocker-search candidates=<n> ...'. Of both
         -- kinds (the pass builds the new one before it drops the old), a measured sign-bit index,
         -- else the half-precision one: sign bits serve before their measurement only when alone.
         SELECT x.indexrelid, least(ceil(x.measured::bigint * greatest(match_count, 10) / 10.0), 100000)::integer
           INTO org_index, tuned
           FROM (SELECT i.indexrelid,
                        CASE WHEN i.indexrelid = bits_name
                             THEN substring(d.description from '^rocker-search candidates=([0-9]{1,4})(?: |$)')::integer
                        END AS measured
                   FROM pg_catalog.pg_index i
                   LEFT JOIN pg_catalog.pg_description d
                     ON d.objoid = i.indexrelid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
                  WHERE i.indexrelid IN (bits_name, half_name)
                    AND i.indrelid = 'public.private_chunks'::regclass AND i.indisvalid) x
          ORDER BY x.measured IS NOT NULL DESC, x.indexrelid = half_name DESC
          LIMIT 1;
         IF org_index = bits_name THEN
           candidates := greatest(coalesce(bits_set, tuned, 40), least(4::bigint * match_count, 100000));
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
/** The SearchOrgBinaryIndexes migration's function, byte-for-byte (restored by down()). */
const MATCH_PRIVATE_CHUNKS_BEFORE = `CREATE OR REPLACE FUNCTION match_private_chunks(org_id_in uuid, query_embedding vector, match_count int)
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
/**
 * Sign-bit candidate counts measured by the index pass (docs/search.md). The comments themselves
 * are not schema (the pass writes them, and they go with their index); down() restores the earlier
 * function, which ignores them.
 */
export class SearchOrgIndexCalibration1796206300000 {
    constructor() {
        this.name = 'SearchOrgIndexCalibration1796206300000';
    }
    async up(q) {
        // The function's SET hnsw.* clauses need pgvector's settings defined in this session.
        for (const s of [`SELECT '[1]'::vector`, MATCH_PRIVATE_CHUNKS_SQL])
            await q.query(s);
    }
    async down(q) {
        for (const s of [`SELECT '[1]'::vector`, MATCH_PRIVATE_CHUNKS_BEFORE])
            await q.query(s);
    }
}
//# sourceMappingURL=1796206300000-SearchOrgIndexCalibration.js.map