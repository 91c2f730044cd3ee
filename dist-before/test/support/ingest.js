import { asOrg } from './db.js';
import { SIM_TABLE_SQL } from './sim-handlers.js';
import { until } from './wait.js';
/** The ingest suites' argument order (what first, 30 s bound) for the shared `until`. */
export const waitFor = (what, fn, timeoutMs = 30_000, everyMs = 50) => until(fn, timeoutMs, what, everyMs);
export async function createSimTable(owner) {
    for (const s of SIM_TABLE_SQL)
        await owner.query(s);
}
/** Writes ingest_jobs rows the way the outbox does (tenant set; the NOTIFY trigger fires at commit). */
export async function insertJobs(pool, orgId, n, payload = {}, opts = {}) {
    return asOrg(pool, orgId, async (c) => {
        const r = await c.query(`INSERT INTO ingest_jobs (org_id, kind, payload, priority_class, knowledge_item_id, max_attempts)
       SELECT $1, $2, $3::jsonb, $4, $5, $6 FROM generate_series(1, $7) RETURNING id`, [orgId, opts.kind ?? 'ocr', JSON.stringify(payload), opts.priority ?? 'interactive', opts.itemId ?? null, opts.maxAttempts ?? 5, n]);
        return r.rows.map((x) => x.id);
    });
}
export async function jobRows(owner, orgId, ids) {
    return asOrg(owner, orgId, async (c) => (await c.query(`SELECT id, status, attempts, last_error, started_at, finished_at, queued_at,
                (extract(epoch FROM started_at) * 1000000)::float8 AS started_us,
                (extract(epoch FROM finished_at) * 1000000)::float8 AS finished_us FROM ingest_jobs
          WHERE ($1::uuid[] IS NULL OR id = ANY($1)) ORDER BY queued_at, id`, [ids ?? null])).rows);
}
export async function countByStatus(owner, orgId, ids) {
    const out = {};
    for (const r of await jobRows(owner, orgId, ids))
        out[r.status] = (out[r.status] ?? 0) + 1;
    return out;
}
export async function effectsPerJob(owner) {
    const r = await owner.query(`SELECT job_id, count(*)::int AS n FROM sim_job_effects GROUP BY job_id`);
    return new Map(r.rows.map((x) => [x.job_id, x.n]));
}
/** Most jobs running at once, from [started_at, finished_at] intervals in the database. */
export function maxOverlap(rows) {
    const ev = [];
    for (const r of rows) {
        if (r.started_us === null || r.finished_us === null)
            continue;
        ev.push([r.started_us, 1], [r.finished_us, -1]); // a finish sorts before a start at the same instant
    }
    ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0;
    let max = 0;
    for (const [, d] of ev)
        max = Math.max(max, (cur += d));
    return max;
}
//# sourceMappingURL=ingest.js.map