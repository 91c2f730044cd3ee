// Self-contained on purpose (migrations are history): the role names as they were when this ran.
const DISPATCH_ROLE = 'rocker_dispatch';
const APP_ROLE = 'rocker_app';
const REAP = 'ingest_reap_expired(integer)';
/**
 * A lease in Postgres for every running job, so a job whose worker and queue entry are both gone
 * (SIGKILL, then Redis restarted empty) is recovered instead of staying `running` for good.
 *
 * - lease_epoch: incremented by every take (queued|expired → running) and by the reaper. The job's
 *   commit step locks its row and requires the epoch it took, so a stale worker's commit is refused
 *   and rolled back (its writes and `succeeded` commit once).
 * - lease_expires_at: set by the take, pushed forward by the running job's renewals.
 * - lease_owner: which process holds it (host:pid), for operators.
 *
 * ingest_reap_expired (SECURITY DEFINER, owned by rocker_dispatch like the other dispatcher
 * functions) returns running rows whose lease expired to `queued`, undispatched, under a new epoch:
 * the attempt they spent stays counted, and the dispatcher sends them again. A row that has had its
 * last attempt is failed by the worker that takes it (in the tenant transaction, which settles the
 * knowledge item too), so the function touches routing and lease columns only. SKIP LOCKED: a row
 * whose worker is committing right now is left to that commit. A running row without a lease
 * (started before this migration) counts as expired an hour after it was dispatched.
 */
export class IngestLeases1764101000000 {
    constructor() {
        this.name = 'IngestLeases1764101000000';
    }
    async up(q) {
        const sql = [
            `ALTER TABLE ingest_jobs
         ADD COLUMN lease_epoch integer NOT NULL DEFAULT 0 CHECK (lease_epoch >= 0),
         ADD COLUMN lease_expires_at timestamptz,
         ADD COLUMN lease_owner text CHECK (length(lease_owner) <= 200)`,
            // Running rows by lease expiry: what the reaper scans, in every worker's dispatcher loop.
            `CREATE INDEX ingest_jobs_lease_idx ON ingest_jobs (lease_expires_at) WHERE status = 'running'`,
            `GRANT SELECT (lease_epoch, lease_expires_at) ON ingest_jobs TO ${DISPATCH_ROLE}`,
            `GRANT UPDATE (status, lease_epoch, lease_expires_at, lease_owner) ON ingest_jobs TO ${DISPATCH_ROLE}`,
            `GRANT CREATE ON SCHEMA public TO ${DISPATCH_ROLE}`,
            `CREATE FUNCTION ingest_reap_expired(p_max integer)
         RETURNS integer
         LANGUAGE sql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         WITH expired AS (
           SELECT j.org_id, j.id FROM public.ingest_jobs j
            WHERE j.status = 'running'
              AND coalesce(j.lease_expires_at, j.dispatched_at + interval '1 hour', '-infinity') < clock_timestamp()
            ORDER BY j.lease_expires_at NULLS FIRST
            LIMIT p_max
            FOR UPDATE SKIP LOCKED
         ), u AS (
           UPDATE public.ingest_jobs j
              SET status = 'queued', dispatched_at = NULL, lease_epoch = j.lease_epoch + 1,
                  lease_expires_at = NULL, lease_owner = NULL
             FROM expired e
            WHERE j.org_id = e.org_id AND j.id = e.id
           RETURNING 1)
         SELECT count(*)::integer FROM u
       $fn$`,
            `ALTER FUNCTION ${REAP} OWNER TO ${DISPATCH_ROLE}`,
            `REVOKE ALL ON FUNCTION ${REAP} FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION ${REAP} TO ${APP_ROLE}`,
            `REVOKE CREATE ON SCHEMA public FROM ${DISPATCH_ROLE}`,
        ];
        for (const s of sql)
            await q.query(s);
    }
    async down(q) {
        const sql = [
            `DROP FUNCTION IF EXISTS ${REAP}`,
            `REVOKE UPDATE (status, lease_epoch, lease_expires_at, lease_owner) ON ingest_jobs FROM ${DISPATCH_ROLE}`,
            `DROP INDEX IF EXISTS ingest_jobs_lease_idx`,
            `ALTER TABLE ingest_jobs DROP COLUMN lease_owner, DROP COLUMN lease_expires_at, DROP COLUMN lease_epoch`,
        ];
        for (const s of sql)
            await q.query(s);
    }
}
//# sourceMappingURL=1764101000000-IngestLeases.js.map