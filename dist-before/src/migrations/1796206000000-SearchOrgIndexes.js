// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
/** The role that owns the sizing function (created by scripts/setup.sh: NOLOGIN, NOBYPASSRLS). */
const DISPATCH_ROLE = 'rocker_dispatch';
/** The raw org setting, as the Search migration's function compares it (RLS, not this check, is the guard). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/** The shared head of both versions of match_private_chunks (signature, SET clauses). */
const HEAD = `CREATE OR REPLACE FUNCTION match_private_chunks(org_id_in uuid, query_embedding vector, match_count int)
         RETURNS TABLE (id uuid, knowledge_item_id uuid, chunk_index integer, content text, similarity double precision)
         LANGUAGE plpgsql STABLE SECURITY INVOKER
         SET hnsw.iterative_scan = 'relaxed_order'
         SET hnsw.ef_search = 200
         SET hnsw.max_scan_tuples = 20000
         SET plan_cache_mode = force_custom_plan
         SET enable_sort = on
       AS $fn$`;
/**
 * match_private_chunks with a per-org index: an org the maintenance job (src/modules/search/
 * org-indexes.ts, as the owner role) gave its own partial HNSW index
 * `private_chunks_hnsw_org_<org id without dashes>` (`WHERE org_id = '<org>'`) is searched through it,
 * a graph of that org's rows alone: no filter to walk past, so a small ef_search
 * (`rocker.search_org_ef_search`, default 100) gives the recall the shared index needs 200 and an
 * iterative scan for. The planner uses a partial index only when it can prove the index's WHERE
 * from the query's, which takes a constant: the org goes into the statement as a literal, built
 * by format('%L') from the uuid-typed argument (a uuid's text is hex and dashes: nothing a caller
 * can shape), the embedding and k stay parameters (the dimension, an integer, goes in by %s).
 * The per-org index is on `embedding::halfvec(<dim>)`, an expression the shared index does not
 * have: on the plain column the planner took the shared index (cheaper by its estimate) for
 * orgs of a few thousand chunks even with their own index there; the half-precision graph is
 * also half the size. The candidates are ranked by the exact distance. Everything else is the Search migration's
 * function: the same org check, SECURITY INVOKER (RLS applies to the dynamic statement as to any
 * other), exact search below the threshold, the shared index with iterative scan for a large org
 * without an index yet, and the exact fallback whenever an index answers short.
 */
export const MATCH_PRIVATE_CHUNKS_SQL = `${HEAD}
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
/** The Search migration's function, byte-for-byte (restored by down()). */
const MATCH_PRIVATE_CHUNKS_BEFORE = `${HEAD}
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
       $fn$`;
/**
 * Per-org HNSW indexes for filtered vector search (docs/search.md).
 *
 * search_org_sizes(min): the maintenance job must know which orgs hold many chunks, across orgs,
 * which RLS (rightly) hides from every role the service logs in as, the owner included (FORCE).
 * The one door is this SECURITY DEFINER function owned by rocker_dispatch (NOLOGIN, NOBYPASSRLS,
 * already the owner of the ingest dispatcher's cross-org functions): it reads private_chunks'
 * org_id column alone, through a policy that names it, and answers org ids and counts, nothing a
 * tenant wrote. Only the owner role (a member of rocker_dispatch) may execute it; the app and
 * worker roles may not.
 *
 * match_private_chunks: routes an org with its own index to it (see MATCH_PRIVATE_CHUNKS_SQL).
 * The indexes themselves are not schema: the job creates and drops them as orgs grow and shrink;
 * down() drops any that exist.
 */
export class SearchOrgIndexes1796206000000 {
    constructor() {
        this.name = 'SearchOrgIndexes1796206000000';
    }
    async up(q) {
        const isSizer = `current_user = '${DISPATCH_ROLE}'`;
        for (const s of [
            // The function's SET hnsw.* clauses need pgvector's settings defined in this session, which
            // only loading its library does (a placeholder setting is the superuser's to set).
            `SELECT '[1]'::vector`,
            `GRANT CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
            `GRANT SELECT (org_id) ON private_chunks TO ${DISPATCH_ROLE}`,
            // The current_user test keeps members of the role (rocker_owner) out: inside the SECURITY
            // DEFINER function current_user is rocker_dispatch itself.
            `CREATE POLICY private_chunks_sizer_select ON private_chunks FOR SELECT TO ${DISPATCH_ROLE} USING (${isSizer})`,
            `CREATE FUNCTION search_org_sizes(p_min_chunks bigint)
         RETURNS TABLE (org_id uuid, chunks bigint)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT c.org_id, count(*) FROM public.private_chunks c
          GROUP BY c.org_id HAVING count(*) >= p_min_chunks
       $fn$`,
            `ALTER FUNCTION search_org_sizes(bigint) OWNER TO ${DISPATCH_ROLE}`,
            `REVOKE ALL ON FUNCTION search_org_sizes(bigint) FROM PUBLIC`,
            // CREATE on the schema was needed only to take ownership of the function.
            `REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`,
            MATCH_PRIVATE_CHUNKS_SQL,
        ])
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
                     AND c.relname ~ '^private_chunks_hnsw_org_[0-9a-f]{32}$' LOOP
           EXECUTE format('DROP INDEX public.%I', r.relname);
         END LOOP;
       END $do$`,
            `DROP FUNCTION IF EXISTS search_org_sizes(bigint)`,
            `DROP POLICY IF EXISTS private_chunks_sizer_select ON private_chunks`,
            `REVOKE SELECT (org_id) ON private_chunks FROM ${DISPATCH_ROLE}`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1796206000000-SearchOrgIndexes.js.map