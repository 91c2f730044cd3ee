// Frozen copies of IngestJobs1764100300000's builders, not imports: a migration's SQL must not change
// once it has run anywhere.
const APP_ROLE = 'rocker_app';
/** The role that owns the outbox functions below (created by scripts/setup.sh: NOLOGIN, NOBYPASSRLS). */
const DISPATCH_ROLE = 'rocker_dispatch';
/** A dispatcher function is owned by rocker_dispatch and callable by the app role only. */
const dispatchFunctionGrants = (fn) => [
    `ALTER FUNCTION ${fn} OWNER TO ${DISPATCH_ROLE}`,
    `REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`,
    `GRANT EXECUTE ON FUNCTION ${fn} TO ${APP_ROLE}`,
];
/** The advisory lock key that serialises claims (ingest_dispatch_claim). */
const CLAIM_LOCK_KEY = '1764100300000';
/**
 * Claims the next undispatched rows and marks them dispatched, per org at most
 * limit(org) × p_window − (its rows already in flight): the queue never holds a large
 * single-org backlog (fairness). lane_rank = the row's place in its org's lane (in flight
 * before it + 1) becomes its BullMQ priority within its class, so a quiet org's first job
 * sorts ahead of a busy org's refills. Serialised by an advisory lock (`lock`: the statement that
 * takes it). As IngestJobs1764100300000 wrote it.
 */
function claimFunctionSql(params, lock) {
    return `CREATE FUNCTION ingest_dispatch_claim(${params})
         RETURNS TABLE (org_id uuid, id uuid, kind text, priority_class text, generation integer, max_attempts integer, request_id text, queued_at timestamptz, lane_rank integer)
         LANGUAGE plpgsql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       #variable_conflict use_column
       BEGIN
         ${lock}
         RETURN QUERY
         -- distinct orgs with undispatched rows: a loose index scan, one probe per org, not per row
         WITH RECURSIVE pending(org_id) AS (
           (SELECT j.org_id FROM public.ingest_jobs j WHERE j.status = 'queued' AND j.dispatched_at IS NULL ORDER BY j.org_id LIMIT 1)
           UNION ALL
           SELECT (SELECT j.org_id FROM public.ingest_jobs j
                    WHERE j.status = 'queued' AND j.dispatched_at IS NULL AND j.org_id > p.org_id ORDER BY j.org_id LIMIT 1)
             FROM pending p WHERE p.org_id IS NOT NULL
         ), room AS (
           SELECT p.org_id, i.n AS inflight,
                  greatest(0, coalesce(l.job_concurrency, p_default_limit) * p_window - i.n) AS n
             FROM pending p
             LEFT JOIN public.org_limits l ON l.org_id = p.org_id
             CROSS JOIN LATERAL (
               SELECT count(*) AS n FROM public.ingest_jobs f
                WHERE f.org_id = p.org_id AND f.status IN ('queued', 'running') AND f.dispatched_at IS NOT NULL) i
            WHERE p.org_id IS NOT NULL
         ), picked AS (
           SELECT c.org_id, c.id,
                  r.inflight + row_number() OVER (PARTITION BY c.org_id ORDER BY c.backfill, c.queued_at, c.id) AS lane_rank
             FROM room r CROSS JOIN LATERAL (
               SELECT j.org_id, j.id, (j.priority_class = 'backfill') AS backfill, j.queued_at FROM public.ingest_jobs j
                WHERE j.org_id = r.org_id AND j.status = 'queued' AND j.dispatched_at IS NULL
                ORDER BY (j.priority_class = 'backfill'), j.queued_at, j.id
                LIMIT r.n
                FOR UPDATE SKIP LOCKED) c
            LIMIT p_max
         )
         , marked AS (
           -- by primary key (a join here would be planned as a scan of the whole table)
           UPDATE public.ingest_jobs j SET dispatched_at = clock_timestamp()
            WHERE j.org_id = ANY (ARRAY(SELECT DISTINCT k.org_id FROM picked k)) AND j.id = ANY (ARRAY(SELECT k.id FROM picked k))
           RETURNING j.org_id, j.id, j.kind, j.priority_class, j.generation, j.max_attempts, j.request_id, j.queued_at
         )
         SELECT m.org_id, m.id, m.kind, m.priority_class, m.generation, m.max_attempts, m.request_id, m.queued_at, k.lane_rank::integer
           FROM marked m JOIN picked k ON k.org_id = m.org_id AND k.id = m.id;
       END $fn$`;
}
const OLD = 'ingest_dispatch_claim(integer, integer, integer)';
const NEW = 'ingest_dispatch_claim(integer, integer, integer, boolean)';
const UNCLAIM = 'ingest_dispatch_unclaim(uuid[], uuid[])';
/**
 * A claim is one statement, committed before the jobs go to Redis; a failed send gives the rows
 * back with ingest_dispatch_unclaim.
 *
 * Why: the claim's advisory lock used to be held by a client-side transaction across the Redis
 * call, until the client sent COMMIT. A dispatcher in a process the OS ran rarely (a worker under
 * load, or at idle priority) then kept every other dispatcher waiting for the lock, each holding a
 * connection meanwhile (`npm run load:noisy`, pg_stat_activity: "idle in transaction" holders,
 * others on Lock:advisory). Now the lock lives only as long as the function runs on the server.
 *
 * `p_wait` false: when another claim holds the lock, fail at once with SQLSTATE 55P03
 * (lock_not_available) instead of waiting, so a refill can tell "busy" from "nothing to claim".
 * A row claimed but never sent (a crash between commit and send) is found by the reconciler, as a
 * row lost by Redis is.
 */
export class IngestClaimOneStatement1764100900000 {
    constructor() {
        this.name = 'IngestClaimOneStatement1764100900000';
    }
    async up(q) {
        const sql = [
            `GRANT CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
            `DROP FUNCTION ${OLD}`,
            claimFunctionSql('p_default_limit integer, p_window integer, p_max integer, p_wait boolean', `IF p_wait THEN
           PERFORM pg_advisory_xact_lock(${CLAIM_LOCK_KEY});
         ELSIF NOT pg_try_advisory_xact_lock(${CLAIM_LOCK_KEY}) THEN
           RAISE EXCEPTION 'another dispatcher is claiming' USING ERRCODE = 'lock_not_available';
         END IF;`),
            // Gives claimed rows back (the queue refused them): only rows still queued, and only the
            // dispatch mark, which the role may write and nothing else.
            `CREATE FUNCTION ${UNCLAIM.replace('(uuid[], uuid[])', '(p_org_ids uuid[], p_ids uuid[])')}
         RETURNS integer
         LANGUAGE sql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         WITH u AS (
           UPDATE public.ingest_jobs j SET dispatched_at = NULL
            WHERE j.org_id = ANY (p_org_ids) AND j.id = ANY (p_ids) AND j.status = 'queued' AND j.dispatched_at IS NOT NULL
           RETURNING 1)
         SELECT count(*)::integer FROM u
       $fn$`,
        ];
        for (const fn of [NEW, UNCLAIM])
            sql.push(...dispatchFunctionGrants(fn));
        sql.push(`REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`);
        for (const s of sql)
            await q.query(s);
    }
    async down(q) {
        const sql = [
            `GRANT CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
            `DROP FUNCTION ${UNCLAIM}`,
            `DROP FUNCTION ${NEW}`,
            claimFunctionSql('p_default_limit integer, p_window integer, p_max integer', `PERFORM pg_advisory_xact_lock(${CLAIM_LOCK_KEY});`),
            ...dispatchFunctionGrants(OLD),
            `REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`,
        ];
        for (const s of sql)
            await q.query(s);
    }
}
//# sourceMappingURL=1764100900000-IngestClaimOneStatement.js.map