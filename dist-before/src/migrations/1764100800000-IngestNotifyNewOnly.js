/**
 * ingest_jobs wakes the dispatchers (NOTIFY at commit) only for new work: an insert, or a row
 * back to queued (retry). A finished job no longer NOTIFYs; the worker that finished it refills
 * through its own dispatcher, in process, and the other dispatchers poll.
 *
 * Why: PostgreSQL serialises the commits of all transactions that NOTIFY (a database-wide lock
 * from pre-commit to the end of commit, WAL flush included). With a 'done' NOTIFY on every
 * finished job, a 2,000-job backlog put one such commit per job in front of every request that
 * creates a knowledge item (its outbox row NOTIFYs too): the quiet org's writes waited p95
 * 168 ms behind the noisy org's backlog (`npm run load:noisy`).
 */
export class IngestNotifyNewOnly1764100800000 {
    constructor() {
        this.name = 'IngestNotifyNewOnly1764100800000';
    }
    async up(q) {
        await q.query(`DROP TRIGGER ingest_jobs_notify_update ON ingest_jobs`);
        await q.query(`CREATE TRIGGER ingest_jobs_notify_update AFTER UPDATE OF status ON ingest_jobs FOR EACH ROW
         WHEN (NEW.status = 'queued' AND OLD.status IS DISTINCT FROM 'queued')
         EXECUTE FUNCTION ingest_jobs_notify()`);
    }
    async down(q) {
        await q.query(`DROP TRIGGER ingest_jobs_notify_update ON ingest_jobs`);
        await q.query(`CREATE TRIGGER ingest_jobs_notify_update AFTER UPDATE OF status ON ingest_jobs FOR EACH ROW
         WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status <> 'running')
         EXECUTE FUNCTION ingest_jobs_notify()`);
    }
}
//# sourceMappingURL=1764100800000-IngestNotifyNewOnly.js.map