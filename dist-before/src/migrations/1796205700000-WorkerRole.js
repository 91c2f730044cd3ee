// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
const WORKER_ROLE = 'rocker_worker';
/** The ingest dispatcher's SECURITY DEFINER functions (owned by rocker_dispatch), as shipped. */
const DISPATCHER_FUNCTIONS = [
    'ingest_dispatch_claim(integer, integer, integer, boolean)',
    'ingest_dispatch_unclaim(uuid[], uuid[])',
    'ingest_dispatched_queued(integer, integer)',
    'ingest_queue_stats()',
    'ingest_reap_expired(integer)',
];
/**
 * Least privilege per process (issue 16): the dispatcher's functions see routing columns of every
 * org, and only the process that runs the dispatcher needs them. Workers connect as rocker_worker
 * (a LOGIN role made by scripts/setup.sh: a member of rocker_app, so it has the app's table grants
 * and the same RLS, plus these); the API role loses them, so an injection in the API cannot claim,
 * reap or count another org's jobs.
 */
export class WorkerRole1796205700000 {
    constructor() {
        this.name = 'WorkerRole1796205700000';
    }
    async up(q) {
        await q.query(`DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${WORKER_ROLE}') THEN
           RAISE EXCEPTION 'role ${WORKER_ROLE} is missing: run scripts/setup.sh';
         END IF;
       END $$`);
        for (const fn of DISPATCHER_FUNCTIONS) {
            await q.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM ${APP_ROLE}`);
            await q.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${WORKER_ROLE}`);
        }
    }
    async down(q) {
        for (const fn of DISPATCHER_FUNCTIONS) {
            await q.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM ${WORKER_ROLE}`);
            await q.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${APP_ROLE}`);
        }
    }
}
//# sourceMappingURL=1796205700000-WorkerRole.js.map