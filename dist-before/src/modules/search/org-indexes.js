import pg from 'pg';
import { tenantBeginParams } from '../../tenancy/context-mac.js';
/**
 * The names match_private_chunks looks up: a prefix per kind and the org id's 32 hex digits (at
 * most 56 characters, under 63). No other index on the table starts with either prefix
 * (`private_chunks_org_idx` and the unique constraint's `private_chunks_org_id_…` are why they
 * are not `private_chunks_org_`), and the pass touches only indexes whose whole name has this shape.
 */
export const ORG_INDEX_PREFIX = {
    half: 'private_chunks_hnsw_org_',
    bits: 'private_chunks_bq_org_',
};
const ORG_INDEX_NAME = `^(${ORG_INDEX_PREFIX.half}|${ORG_INDEX_PREFIX.bits})[0-9a-f]{32}$`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Each kind's key and operator class (what match_private_chunks orders by). */
const ORG_INDEX_KEY = {
    half: (dims) => `(embedding::halfvec(${dims})) halfvec_cosine_ops`,
    bits: (dims) => `(binary_quantize(embedding)::bit(${dims})) bit_hamming_ops`,
};
/** Session advisory lock of a pass (one pass in the fleet at a time). */
export const ORG_INDEX_LOCK_KEY = '1796206000000';
export function orgIndexName(orgId, kind) {
    if (!UUID.test(orgId))
        throw new Error(`not an org id: ${orgId}`);
    return ORG_INDEX_PREFIX[kind] + orgId.replaceAll('-', '');
}
const OTHER = { half: 'bits', bits: 'half' };
/** The pass's options from the service's settings (SEARCH_ORG_INDEX_*). */
export function orgIndexOptionsOf(search) {
    return {
        minChunks: search.orgIndexMinChunks,
        bitsMinChunks: search.orgIndexBitsMinChunks,
        recallTarget: search.orgIndexRecall,
        samples: search.orgIndexSamples,
        maxIndexes: search.orgIndexMax,
        buildMemMb: search.orgIndexBuildMemMb,
        buildWorkers: search.orgIndexBuildWorkers,
    };
}
const BITS_CALIBRATION = /^rocker-search candidates=(\d{1,4}) recall=([0-9.]+) samples=(\d+) chunks=(\d+)$/;
const HALF_CALIBRATION = /^rocker-search bits-rejected-at=(\d+) recall=([0-9.]+) samples=(\d+)$/;
export function parseCalibration(comment) {
    let m = BITS_CALIBRATION.exec(comment ?? '');
    if (m)
        return { kind: 'bits', candidates: +m[1], recall: +m[2], samples: +m[3], chunks: +m[4] };
    m = HALF_CALIBRATION.exec(comment ?? '');
    if (m)
        return { kind: 'half', bitsRejectedAt: +m[1], recall: +m[2], samples: +m[3] };
    return null;
}
export function formatCalibration(c) {
    return c.kind === 'bits'
        ? `rocker-search candidates=${c.candidates} recall=${c.recall.toFixed(3)} samples=${c.samples} chunks=${c.chunks}`
        : `rocker-search bits-rejected-at=${c.bitsRejectedAt} recall=${c.recall.toFixed(3)} samples=${c.samples}`;
}
/**
 * Candidate counts a sign-bit graph is tried at. Past 80 it costs more than a half-precision graph
 * of the same recall (bench:quantization: 0.98 took 200 candidates, twice the latency and three
 * times the buffers), so an org whose sign bits miss at 80 gets half precision.
 */
export const BITS_CANDIDATE_STEPS = [40, 60, 80];
/**
 * Which indexes to create and drop. `sizes` holds every org with at least minChunks / 2 chunks.
 * Eligible: an org at or over minChunks, or one that has a valid index and is still over half of
 * it (hysteresis: an org around the line does not flap). The largest maxIndexes eligible orgs keep
 * or get one; every other index, and every invalid one (a failed concurrent build), is dropped,
 * an invalid one to be built again. The kind follows the size with the same hysteresis: sign bits
 * from bitsMinChunks (unless 0), kept down to half of it, and not while the org's half-precision
 * index says sign bits missed the recall target when the org was over half its size now. An org
 * changing kind keeps its old index until its new one is built (`retire`).
 */
export function planOrgIndexes(sizes, existing, opts) {
    const valid = new Map(existing.filter((e) => e.valid).map((e) => [e.name, parseCalibration(e.comment)]));
    const has = (s, kind) => valid.has(orgIndexName(s.orgId, kind));
    const calibrationOf = (s, kind) => valid.get(orgIndexName(s.orgId, kind)) ?? null;
    const kindOf = (s) => {
        if (opts.bitsMinChunks <= 0)
            return 'half';
        if (has(s, 'bits'))
            return s.chunks >= opts.bitsMinChunks / 2 ? 'bits' : 'half';
        const cal = calibrationOf(s, 'half');
        if (cal?.kind === 'half' && s.chunks < 2 * cal.bitsRejectedAt)
            return 'half';
        return s.chunks >= opts.bitsMinChunks ? 'bits' : 'half';
    };
    const wanted = sizes
        .filter((s) => s.chunks >= opts.minChunks || ((has(s, 'half') || has(s, 'bits')) && s.chunks >= opts.minChunks / 2))
        .sort((a, b) => b.chunks - a.chunks || a.orgId.localeCompare(b.orgId))
        .slice(0, Math.max(0, opts.maxIndexes))
        .map((s) => ({ ...s, kind: kindOf(s) }));
    const keep = new Set(wanted.map((s) => orgIndexName(s.orgId, s.kind)));
    const leaving = new Set(wanted.map((s) => orgIndexName(s.orgId, OTHER[s.kind])));
    const retire = existing.filter((e) => e.valid && leaving.has(e.name)).map((e) => e.name);
    const unmeasured = (s) => {
        const cal = calibrationOf(s, s.kind);
        return s.kind === 'bits' && has(s, 'bits') && (cal?.kind !== 'bits' || s.chunks >= 2 * cal.chunks);
    };
    return {
        create: wanted.filter((s) => !has(s, s.kind)),
        calibrate: wanted.filter(unmeasured),
        drop: existing.filter((e) => !e.valid || (!keep.has(e.name) && !retire.includes(e.name))).map((e) => e.name),
        retire,
    };
}
/**
 * The pass's opener: a system context (no user, as a job's), signed by this process's key, valid
 * for `ttlMs` (TENANT_CONTEXT_TTL_MS: checked once, by tenant_begin(), against the database's clock).
 */
export function signedTenantOpener(key, ttlMs) {
    return async (c, orgId) => {
        const ctx = { orgId, userId: null, role: null, actorRole: 'system', requestId: 'org-index-pass' };
        await c.query('SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8)', tenantBeginParams(key, ctx, Date.now() + ttlMs));
    };
}
/** The per-org indexes that exist now, valid or not: partial HNSW indexes on private_chunks named as orgIndexName() names them. */
export async function existingOrgIndexes(c) {
    const { rows } = await c.query(`SELECT ic.relname AS name, i.indisvalid AS valid, obj_description(ic.oid, 'pg_class') AS comment
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_catalog.pg_am am ON am.oid = ic.relam
      WHERE i.indrelid = 'public.private_chunks'::regclass AND am.amname = 'hnsw' AND i.indpred IS NOT NULL
        AND ic.relname ~ $1
      ORDER BY 1`, [ORG_INDEX_NAME]);
    return rows;
}
/**
 * One pass on `c`, a session of the owner role outside any transaction (CREATE/DROP INDEX
 * CONCURRENTLY cannot run in one): drops first, then builds, largest org first, retiring an org's
 * index of the kind it left right after its new one is built and (with `tenant`) calibrated.
 * Concurrent builds take no lock that blocks the org's reads or writes. `log` hears each step.
 * Without `tenant`, or with recallTarget 0, nothing is calibrated and the size alone picks the kind.
 */
export async function maintainOrgIndexes(c, opts, log = () => undefined, tenant) {
    const pass = { ran: false, created: [], dropped: [], calibrated: [] };
    const { rows: lock } = await c.query(`SELECT pg_try_advisory_lock($1::bigint) AS ok`, [
        ORG_INDEX_LOCK_KEY,
    ]);
    if (!lock[0].ok)
        return pass;
    pass.ran = true;
    try {
        const { rows } = await c.query(`SELECT org_id, chunks FROM search_org_sizes($1)`, [Math.max(1, Math.floor(opts.minChunks / 2))]);
        const existing = await existingOrgIndexes(c);
        const plan = planOrgIndexes(rows.map((r) => ({ orgId: r.org_id, chunks: Number(r.chunks) })), existing, opts);
        const drop = async (name, why) => {
            // names come from the catalog or orgIndexName() and have the per-org shape; quoted all the same
            await c.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${pg.escapeIdentifier(name)}`);
            pass.dropped.push(name);
            log(`dropped ${name}${why}`);
        };
        for (const name of plan.drop)
            await drop(name, '');
        const dims = plan.create.length || plan.calibrate.length ? await embeddingDims(c) : 0;
        if (plan.create.length || plan.calibrate.length) {
            await c.query(`SELECT set_config('maintenance_work_mem', $1, false)`, [`${opts.buildMemMb}MB`]);
            if (opts.buildWorkers !== undefined)
                await c.query(`SELECT set_config('max_parallel_maintenance_workers', $1, false)`, [String(opts.buildWorkers)]);
        }
        const build = async (org, kind) => {
            const name = orgIndexName(org.orgId, kind); // throws unless a uuid: the literal below is hex and dashes
            const t0 = performance.now();
            // DDL takes no parameters: the org is a literal, a uuid the database itself answered (checked above).
            // ef_construction 200, not the shared index's 64: a better graph is what lets a small search
            // ef reach recall 0.98 (100,000-chunk org, full-precision graph, ef_search 64: recall 0.955
            // built with 64, 0.990 with 200; bench:search), bought once per build (about 3x its time).
            // On the expression match_private_chunks orders by: only this index can serve that order (on
            // the plain column the planner may prefer the shared index).
            await c.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${pg.escapeIdentifier(name)} ON public.private_chunks
           USING hnsw (${ORG_INDEX_KEY[kind](dims)}) WITH (m = 16, ef_construction = 200)
           WHERE org_id = ${pg.escapeLiteral(org.orgId)}::uuid`);
            const ms = performance.now() - t0;
            pass.created.push({ name, chunks: org.chunks, ms });
            log(`created ${name} (${org.chunks} chunks) in ${(ms / 1000).toFixed(1)} s`);
        };
        const calibrating = !!tenant && (opts.recallTarget ?? 0) > 0;
        const describe = (name, cal) => 
        // COMMENT takes no parameters: the name has the per-org shape, the text is built from numbers.
        c.query(`COMMENT ON INDEX public.${pg.escapeIdentifier(name)} IS ${pg.escapeLiteral(formatCalibration(cal))}`);
        const kept = new Set(); // half-precision indexes that stay: sign bits missed, or were not measured
        /**
         * Measures the org's new or grown sign-bit index and writes the result into its comment. One
         * that misses the target gives way to a half-precision index (built first if the org has none:
         * the org keeps a graph throughout), marked so that sign bits are not tried again before the org
         * has doubled, and is then dropped. A measurement that fails is logged and leaves both indexes
         * as they are (an unmeasured sign-bit index serves only when it is the org's only one); the
         * next pass measures it again. True when the sign bits hold.
         */
        const settle = async (org) => {
            if (!calibrating)
                return true;
            const name = orgIndexName(org.orgId, 'bits');
            const half = orgIndexName(org.orgId, 'half');
            try {
                const t0 = performance.now();
                const m = await calibrateBits(c, tenant, org.orgId, name, opts.recallTarget, opts.samples ?? 50);
                const ms = performance.now() - t0;
                pass.calibrated.push({ name, candidates: m.candidates, recall: m.recall, ms });
                const measured = `recall ${m.recall.toFixed(3)} over ${m.samples} of its rows in ${(ms / 1000).toFixed(1)} s`;
                if (m.candidates !== null) {
                    await describe(name, { kind: 'bits', candidates: m.candidates, recall: m.recall, samples: m.samples, chunks: org.chunks });
                    log(`calibrated ${name}: ${m.candidates} candidates, ${measured}`);
                    return true;
                }
                log(`calibrated ${name}: ${m.tried} candidates, ${measured}, under ${opts.recallTarget}: half precision instead`);
                kept.add(half);
                // the pass knows what exists: the catalog at its start, less what it dropped, plus what it built
                const hasHalf = pass.created.some((x) => x.name === half) ||
                    (existing.some((e) => e.name === half && e.valid) && !pass.dropped.includes(half));
                if (!hasHalf)
                    await build(org, 'half');
                await describe(half, { kind: 'half', bitsRejectedAt: org.chunks, recall: m.recall, samples: m.samples });
                await drop(name, ' (sign bits missed the recall target)');
            }
            catch (e) {
                kept.add(half);
                log(`measuring ${name} failed, kept as it is until the next pass: ${e.message}`);
            }
            return false;
        };
        const retire = async (name) => {
            if (!pass.dropped.includes(name) && !kept.has(name))
                await drop(name, ' (its org changed kind)');
        };
        for (const org of plan.create) {
            await build(org, org.kind);
            // the org's index of the other kind goes as soon as its replacement exists and holds (a later
            // build that fails keeps no one's old graph alive)
            const old = orgIndexName(org.orgId, OTHER[org.kind]);
            if ((org.kind === 'half' || (await settle(org))) && plan.retire.includes(old))
                await retire(old);
        }
        for (const org of plan.calibrate)
            await settle(org);
        for (const name of plan.retire)
            await retire(name); // its org's new index was there already
    }
    finally {
        await c.query(`SELECT pg_advisory_unlock($1::bigint)`, [ORG_INDEX_LOCK_KEY]);
    }
    return pass;
}
const K = 10;
/**
 * Recall of the org's sign-bit index `name`, through match_private_chunks itself at k = 10 (the
 * API's default), at each candidate count of BITS_CANDIDATE_STEPS until one reaches `target`.
 * Queries: `samples` of the org's rows (a seeded random sample, so a pass measures the same rows
 * again while the org is unchanged); a row finds itself at distance 0, so it is left out of both
 * sides: the recall of its 9 nearest other rows against the exact ones. One transaction in the
 * org's signed context, rolled back (nothing it does outlives it): the count is the function's own
 * override (rocker.search_org_bits_candidates), and the index is marked measured for the
 * transaction only, so that the function routes to it even while the org's half-precision
 * index still exists (it serves an unmeasured sign-bit index only when it is the org's only one).
 */
export async function calibrateBits(c, tenant, orgId, name, target, samples) {
    await c.query('BEGIN');
    try {
        await tenant(c, orgId);
        // COMMENT takes no parameters: the name has the per-org shape (orgIndexName), the text is fixed.
        await c.query(`COMMENT ON INDEX public.${pg.escapeIdentifier(name)} IS 'rocker-search candidates=40 recall=0 samples=0 chunks=0'`);
        await c.query(`SELECT setseed(0.5)`);
        const { rows: sample } = await c.query(`SELECT id, embedding::text AS v FROM private_chunks
        WHERE org_id = $1 AND id = ANY (ARRAY(SELECT id FROM private_chunks WHERE org_id = $1 ORDER BY random() LIMIT $2))`, [orgId, samples]);
        const truth = [];
        for (const q of sample) {
            // exact: an order no index serves, so the planner reads the org's rows and sorts them
            const { rows } = await c.query(`SELECT id FROM private_chunks WHERE org_id = $1 AND id <> $2
          ORDER BY 1 - (embedding <=> $3::vector) DESC, id LIMIT ${K - 1}`, [orgId, q.id, q.v]);
            truth.push(new Set(rows.map((r) => r.id)));
        }
        const slots = truth.reduce((n, t) => n + t.size, 0);
        let recall = 0;
        for (const step of BITS_CANDIDATE_STEPS) {
            await c.query(`SELECT set_config('rocker.search_org_bits_candidates', $1, true)`, [String(step)]);
            let hits = 0;
            for (const [i, q] of sample.entries()) {
                const { rows } = await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, ${K})`, [
                    orgId,
                    q.v,
                ]);
                hits += rows
                    .filter((r) => r.id !== q.id)
                    .slice(0, K - 1)
                    .filter((r) => truth[i].has(r.id)).length;
            }
            recall = slots ? hits / slots : 1;
            if (recall >= target)
                return { candidates: step, recall, tried: step, samples: sample.length };
        }
        return { candidates: null, recall, tried: BITS_CANDIDATE_STEPS.at(-1), samples: sample.length };
    }
    finally {
        await c.query('ROLLBACK');
    }
}
async function embeddingDims(c) {
    const { rows } = await c.query(`SELECT atttypmod AS dims FROM pg_catalog.pg_attribute WHERE attrelid = 'public.private_chunks'::regclass AND attname = 'embedding'`);
    const dims = Number(rows[0]?.dims);
    if (!Number.isInteger(dims) || dims < 1)
        throw new Error('private_chunks.embedding has no dimension');
    return dims;
}
/** One pass on a new connection to `url` (the owner role's, direct), closed after. */
export async function maintainOrgIndexesAt(url, opts, log, tenant) {
    const c = new pg.Client({ connectionString: url, application_name: 'rocker-org-indexes' });
    await c.connect();
    try {
        return await maintainOrgIndexes(c, opts, log, tenant);
    }
    finally {
        await c.end();
    }
}
//# sourceMappingURL=org-indexes.js.map