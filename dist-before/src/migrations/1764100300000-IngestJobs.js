// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
/** The transaction's org (`app.org_id`; '' reads as NULL), evaluated once per statement (an InitPlan). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
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
/** The role that owns the outbox functions below (created by scripts/setup.sh: NOLOGIN, NOBYPASSRLS). */
const DISPATCH_ROLE = 'rocker_dispatch';
/** A dispatcher function is owned by rocker_dispatch and callable by the app role only. */
const dispatchFunctionGrants = (fn) => [
    `ALTER FUNCTION ${fn} OWNER TO ${DISPATCH_ROLE}`,
    `REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`,
    `GRANT EXECUTE ON FUNCTION ${fn} TO ${APP_ROLE}`,
];
/** The advisory lock key that serialises claims (ingest_dispatch_claim). */
export const CLAIM_LOCK_KEY = '1764100300000';
/**
 * Claims the next undispatched rows and marks them dispatched, per org at most
 * limit(org) × p_window − (its rows already in flight): the queue never holds a large
 * single-org backlog (fairness). lane_rank = the row's place in its org's lane (in flight
 * before it + 1) becomes its BullMQ priority within its class, so a quiet org's first job
 * sorts ahead of a busy org's refills. Serialised by an advisory lock (`lock`: the statement that
 * takes it). IngestClaimOneStatement holds its own frozen copy.
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
/**
 * ingest_jobs: the durable record of background work and the transactional outbox that feeds
 * BullMQ. A feature writes its row in its own tenant transaction; a dispatcher hands committed,
 * undispatched rows to the queue.
 *
 * The dispatcher must see rows of every org, which RLS (rightly) hides from the app role. The one
 * door is three SECURITY DEFINER functions owned by rocker_dispatch, a NOLOGIN role that is not
 * BYPASSRLS: it reads ingest_jobs and org_limits through policies that name it, may SELECT only the
 * routing columns (never payload, errors or idempotency keys) and UPDATE only dispatched_at.
 * The functions answer ids, kinds and counts, nothing a tenant wrote.
 *
 * knowledge_item_id → knowledge_items ON DELETE CASCADE: a deleted item's pending work must not
 * run, and its job history goes with it (a running job whose row vanished just finishes as a no-op).
 */
export class IngestJobs1764100300000 {
    constructor() {
        this.name = 'IngestJobs1764100300000';
    }
    async up(q) {
        const isDispatcher = `current_user = '${DISPATCH_ROLE}'`;
        const routing = 'org_id, id, kind, status, priority_class, generation, max_attempts, request_id, queued_at, dispatched_at';
        const sql = [
            `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${DISPATCH_ROLE}') THEN
           RAISE EXCEPTION 'role ${DISPATCH_ROLE} is missing: run scripts/setup.sh';
         END IF;
       END $$`,
            `CREATE TABLE ingest_jobs (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         kind text NOT NULL CHECK (kind IN ('embed', 'crawl', 'ocr')),
         payload jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(payload) = 'object'),
         knowledge_item_id uuid,
         status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
         priority_class text NOT NULL DEFAULT 'interactive' CHECK (priority_class IN ('interactive', 'backfill')),
         attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
         max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 50),
         generation integer NOT NULL DEFAULT 0 CHECK (generation >= 0),
         last_error text,
         idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
         request_id text,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         queued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         dispatched_at timestamptz,
         started_at timestamptz,
         finished_at timestamptz,
         PRIMARY KEY (org_id, id),
         UNIQUE (org_id, idempotency_key),
         FOREIGN KEY (org_id, knowledge_item_id) REFERENCES knowledge_items (org_id, id) ON DELETE CASCADE
       )`,
            `CREATE INDEX ingest_jobs_page_idx ON ingest_jobs (org_id, created_at DESC, id DESC)`,
            `CREATE INDEX ingest_jobs_item_idx ON ingest_jobs (org_id, knowledge_item_id) WHERE knowledge_item_id IS NOT NULL`,
            // The outbox: undispatched rows per org in dispatch order (interactive first, then oldest).
            `CREATE INDEX ingest_jobs_outbox_idx ON ingest_jobs (org_id, (priority_class = 'backfill'), queued_at, id)
         WHERE status = 'queued' AND dispatched_at IS NULL`,
            // In flight: handed to the queue and not finished (bounded per org by the dispatch window).
            `CREATE INDEX ingest_jobs_inflight_idx ON ingest_jobs (org_id, dispatched_at) WHERE status IN ('queued', 'running') AND dispatched_at IS NOT NULL`,
            ...tenantTableSql('ingest_jobs'),
            // Wake the dispatchers at commit: 'new' work (dispatched at once), or 'done' — a finished job
            // that frees room in its org's window (refills are batched for a few milliseconds).
            `CREATE FUNCTION ingest_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
       BEGIN
         IF TG_OP = 'INSERT' OR NEW.status = 'queued' THEN
           PERFORM pg_notify('ingest_jobs', 'new');
         ELSE
           PERFORM pg_notify('ingest_jobs', 'done');
         END IF;
         RETURN NULL;
       END $fn$`,
            `CREATE TRIGGER ingest_jobs_notify_insert AFTER INSERT ON ingest_jobs FOR EACH STATEMENT EXECUTE FUNCTION ingest_jobs_notify()`,
            `CREATE TRIGGER ingest_jobs_notify_update AFTER UPDATE OF status ON ingest_jobs FOR EACH ROW
         WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status <> 'running')
         EXECUTE FUNCTION ingest_jobs_notify()`,
            // rocker_dispatch: routing columns only, through policies that name it. The current_user test
            // keeps members of the role (rocker_owner, which needs membership to hand it the functions)
            // out: inside the SECURITY DEFINER functions current_user is rocker_dispatch itself.
            `GRANT USAGE, CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
            `GRANT SELECT (${routing}) ON ingest_jobs TO ${DISPATCH_ROLE}`,
            `GRANT UPDATE (dispatched_at) ON ingest_jobs TO ${DISPATCH_ROLE}`,
            `GRANT SELECT (org_id, job_concurrency) ON org_limits TO ${DISPATCH_ROLE}`,
            `CREATE POLICY ingest_jobs_dispatcher_select ON ingest_jobs FOR SELECT TO ${DISPATCH_ROLE} USING (${isDispatcher})`,
            `CREATE POLICY ingest_jobs_dispatcher_update ON ingest_jobs FOR UPDATE TO ${DISPATCH_ROLE} USING (${isDispatcher}) WITH CHECK (${isDispatcher})`,
            `CREATE POLICY org_limits_dispatcher_select ON org_limits FOR SELECT TO ${DISPATCH_ROLE} USING (${isDispatcher})`,
            // The claim (see claimFunctionSql); the caller commits only after the queue accepted the jobs.
            claimFunctionSql('p_default_limit integer, p_window integer, p_max integer', `PERFORM pg_advisory_xact_lock(${CLAIM_LOCK_KEY});`),
            // Rows handed to the queue a while ago and still queued: the reconciler checks they are in Redis.
            `CREATE FUNCTION ingest_dispatched_queued(p_older_than_ms integer, p_max integer)
         RETURNS TABLE (org_id uuid, id uuid, kind text, priority_class text, generation integer, max_attempts integer, request_id text, queued_at timestamptz, lane_rank integer)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT j.org_id, j.id, j.kind, j.priority_class, j.generation, j.max_attempts, j.request_id, j.queued_at, 1
           FROM public.ingest_jobs j
          WHERE j.status = 'queued' AND j.dispatched_at < clock_timestamp() - make_interval(secs => p_older_than_ms / 1000.0)
          ORDER BY j.dispatched_at
          LIMIT p_max
       $fn$`,
            // Counts for the queue gauges: numbers per kind, org and state, nothing else.
            `CREATE FUNCTION ingest_queue_stats()
         RETURNS TABLE (kind text, org_id uuid, status text, jobs bigint, oldest_queued_at timestamptz)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT j.kind, j.org_id, j.status, count(*), min(j.queued_at)
           FROM public.ingest_jobs j WHERE j.status IN ('queued', 'running')
          GROUP BY j.kind, j.org_id, j.status
       $fn$`,
        ];
        for (const fn of [
            'ingest_dispatch_claim(integer, integer, integer)',
            'ingest_dispatched_queued(integer, integer)',
            'ingest_queue_stats()',
        ]) {
            sql.push(...dispatchFunctionGrants(fn));
        }
        // CREATE on the schema was needed only to take ownership of the functions.
        sql.push(`REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`);
        for (const s of sql)
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `DROP FUNCTION IF EXISTS ingest_dispatch_claim(integer, integer, integer)`,
            `DROP FUNCTION IF EXISTS ingest_dispatched_queued(integer, integer)`,
            `DROP FUNCTION IF EXISTS ingest_queue_stats()`,
            `DROP POLICY IF EXISTS org_limits_dispatcher_select ON org_limits`,
            `REVOKE ALL ON org_limits FROM ${DISPATCH_ROLE}`,
            `DROP TABLE IF EXISTS ingest_jobs CASCADE`,
            `DROP FUNCTION IF EXISTS ingest_jobs_notify()`,
            `REVOKE ALL ON SCHEMA public FROM ${DISPATCH_ROLE}`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1764100300000-IngestJobs.js.map