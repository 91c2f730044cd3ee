/**
 * npm run bench:search [-- --chunks 200000 --orgs 1000 --queries 100 --concurrency 8 --keep]
 *
 * Filtered vector search on a skewed synthetic corpus (one org holds half the chunks, hundreds
 * hold under 100): recall@10 against exact search, p50/p95 latency and QPS at concurrency 8, for
 * the shipped plan (match_private_chunks, after a per-org index pass as the service's worker runs
 * it) and, in the same run, the naive plan (one HNSW index + WHERE org_id, no iterative scan).
 * Vectors are clustered (topic centroid + noise), generated in SQL. `--org-index-min`,
 * `--org-index-bits-min`, `--org-index-max`, `--build-workers` try other per-org index settings, `--no-org-indexes` drops them all (the shared
 * index and exact search alone); `--embed N` also times N query embeddings with the local model.
 */
import pg from 'pg';
import { withAdmin } from './lib/db.js';
import { performance } from 'node:perf_hooks';
import { createDataSource } from '../src/database/data-source.js';
import { beginBenchTenant, installBenchKeys } from './lib/context.js';
import { EMBEDDING_DIM, SEARCH_FUNCTIONS_SQL } from '../src/migrations/1764100200000-Search.js';
import { MATCH_PRIVATE_CHUNKS_SQL } from '../src/migrations/1796206300000-SearchOrgIndexCalibration.js';
import { existingOrgIndexes, maintainOrgIndexesAt } from '../src/modules/search/org-indexes.js';
import { LocalEmbeddingProvider } from '../src/modules/embeddings/local-embedding.provider.js';
const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';
const url = (db, role, pw = role === 'postgres' ? '' : `:${role}`) => `postgres://${role}${pw}@${PG_HOST}/${db}`;
function flag(name, dflt) {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const CHUNKS = flag('chunks', 200_000);
const ORGS = flag('orgs', 1000);
const QUERIES = flag('queries', 100);
const CONC = flag('concurrency', 8);
const K = 10;
const KEEP = process.argv.includes('--keep');
// Optional knob overrides for the shipped plan (defaults are the function's own).
const KNOBS = {};
for (const [flagName, setting] of [
    ['threshold', 'rocker.search_exact_threshold'],
    ['ef', 'rocker.search_ef_search'],
    ['org-ef', 'rocker.search_org_ef_search'],
    ['bits-candidates', 'rocker.search_org_bits_candidates'],
    ['max-scan', 'rocker.search_max_scan_tuples'],
]) {
    const v = flag(flagName, NaN);
    if (!Number.isNaN(v))
        KNOBS[setting] = v;
}
const REUSE = process.argv.includes('--reuse');
// The per-org index pass, at the service's defaults (SEARCH_ORG_INDEX_*) unless given.
const ORG_INDEXES = !process.argv.includes('--no-org-indexes');
const ORG_INDEX_MIN = flag('org-index-min', 2000);
const ORG_INDEX_MAX = flag('org-index-max', 32);
const ORG_INDEX_BITS_MIN = flag('org-index-bits-min', 50_000);
// The pass's calibration (SEARCH_ORG_INDEX_RECALL / _SAMPLES); --recall 0 turns it off.
const ORG_INDEX_RECALL = flag('recall', 0.99);
const ORG_INDEX_SAMPLES = flag('samples', 50);
// Parallel workers of a per-org build (SEARCH_ORG_INDEX_BUILD_WORKERS, 0 as shipped).
const ORG_INDEX_BUILD_WORKERS = flag('build-workers', 0);
const EMBED = flag('embed', 0);
const DB = `rocker_bench_search_${CHUNKS}`;
/** Zipf(1) sizes over orgs 2..ORGS for the second half of the corpus; org 1 holds the first half. */
function orgSizes() {
    const rest = ORGS - 1;
    const half = Math.floor(CHUNKS / 2);
    const h = Array.from({ length: rest }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0);
    const sizes = [CHUNKS - half, ...Array.from({ length: rest }, (_, i) => Math.max(1, Math.round(half / h / (i + 1))))];
    return sizes;
}
async function build() {
    const t0 = performance.now();
    await withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${DB} OWNER rocker_owner`);
    });
    const ds = createDataSource({ url: url(DB, 'rocker_owner'), poolSize: 1 });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    const su = new pg.Client({ connectionString: url(DB, 'postgres') });
    await su.connect();
    const hnswDef = (await su.query(`SELECT pg_get_indexdef('private_chunks_embedding_hnsw'::regclass) AS d`)).rows[0].d;
    await su.query(`DROP INDEX private_chunks_embedding_hnsw`);
    const sizes = orgSizes();
    await su.query(`SELECT setseed(0.42)`);
    await su.query(`CREATE UNLOGGED TABLE bench_orgs (n int PRIMARY KEY, id uuid NOT NULL, size int NOT NULL)`);
    await su.query(`INSERT INTO bench_orgs SELECT n, gen_random_uuid(), s FROM unnest($1::int[]) WITH ORDINALITY u(s, n)`, [sizes]);
    await su.query(`INSERT INTO orgs (id, slug, name) SELECT id, 'bench-' || n, 'bench ' || n FROM bench_orgs`);
    // 50 chunks per knowledge item.
    await su.query(`INSERT INTO knowledge_items (org_id, id, title, source_kind, status)
     SELECT o.id, gen_random_uuid(), 'item ' || i, 'text', 'ready'
       FROM bench_orgs o, generate_series(0, (o.size - 1) / 50) i`);
    await su.query(`CREATE UNLOGGED TABLE bench_items AS
     SELECT org_id, id, row_number() OVER (PARTITION BY org_id ORDER BY id) - 1 AS ord FROM knowledge_items`);
    // Vectors with structure, like text embeddings: a topic centroid (1000 topics) plus a low-rank
    // part (32 latent factors, 9 levels each) plus small noise. Query vectors come from the same model.
    await su.query(`CREATE UNLOGGED TABLE bench_w AS
     SELECT j, (SELECT array_agg(((random() - 0.5) * 2)::real) FROM generate_series(1, ${EMBEDDING_DIM}) WHERE j >= 0) AS w
       FROM generate_series(0, 31) j`);
    await su.query(`CREATE UNLOGGED TABLE bench_basis AS
     SELECT j * 9 + l AS id, (SELECT array_agg((x * (l - 4) / 16.0)::real) FROM unnest(w) x)::vector AS v
       FROM bench_w, generate_series(0, 8) l`);
    await su.query(`ALTER TABLE bench_basis ADD PRIMARY KEY (id)`);
    const rnd = (scale) => `(SELECT array_agg(((random() - 0.5) * ${scale})::real) FROM generate_series(1, ${EMBEDDING_DIM}) WHERE g >= 0)::vector`;
    await su.query(`CREATE UNLOGGED TABLE bench_centroids AS SELECT g AS t, ${rnd(2)} AS v FROM generate_series(0, 999) g`);
    await su.query(`CREATE UNLOGGED TABLE bench_noise AS SELECT g AS t, ${rnd(0.4)} AS v FROM generate_series(0, 999) g`);
    await su.query(`CREATE FUNCTION bench_vec(seed bigint) RETURNS vector LANGUAGE sql STABLE AS $$
     SELECT c.v + n.v + (SELECT sum(b.v) FROM generate_series(0, 31) jj
                          JOIN bench_basis b ON b.id = jj * 9 + (abs(hashint8(seed * 64 + jj)) % 9))
       FROM bench_centroids c, bench_noise n
      WHERE c.t = abs(hashint8(seed * 64 + 40)) % 1000 AND n.t = abs(hashint8(seed * 64 + 41)) % 1000 $$`);
    // Interleave orgs as they would arrive over time: rows in random order, not grouped by org.
    await su.query(`INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
     SELECT r.org_id, it.id, r.j % 50, 'bench chunk ' || r.j, bench_vec(r.seed)
       FROM (SELECT o.id AS org_id, j, (random() * 1e12)::bigint AS seed
               FROM bench_orgs o, generate_series(0, o.size - 1) j ORDER BY random()) r
       JOIN bench_items it ON it.org_id = r.org_id AND it.ord = r.j / 50`);
    const t1 = performance.now();
    console.log(`corpus: ${CHUNKS} chunks (${EMBEDDING_DIM}-d) over ${ORGS} orgs loaded in ${((t1 - t0) / 1000).toFixed(1)} s`);
    await su.query(`SET maintenance_work_mem = '3GB'`);
    await su.query(`SET max_parallel_maintenance_workers = 2`);
    await su.query(hnswDef);
    const t2 = performance.now();
    console.log(`HNSW (m=16, ef_construction=64) built in ${((t2 - t1) / 1000).toFixed(1)} s`);
    await su.query(`VACUUM ANALYZE private_chunks`);
    await su.end();
}
/** The per-org index pass as the worker runs it (owner role), or every per-org index dropped. */
async function orgIndexes() {
    const owner = url(DB, 'rocker_owner');
    const t0 = performance.now();
    const pass = await maintainOrgIndexesAt(owner, {
        minChunks: ORG_INDEXES ? ORG_INDEX_MIN : Number.MAX_SAFE_INTEGER,
        bitsMinChunks: ORG_INDEX_BITS_MIN,
        maxIndexes: ORG_INDEXES ? ORG_INDEX_MAX : 0,
        buildMemMb: 512,
        recallTarget: ORG_INDEX_RECALL,
        samples: ORG_INDEX_SAMPLES,
        buildWorkers: ORG_INDEX_BUILD_WORKERS,
    }, (msg) => console.log(`  ${msg}`), (c, orgId) => beginBenchTenant(c, orgId));
    const c = new pg.Client({ connectionString: owner });
    await c.connect();
    const names = (await existingOrgIndexes(c)).map((e) => e.name);
    const size = names.length
        ? (await c.query(`SELECT sum(pg_relation_size(('public.' || n)::regclass))::bigint AS b FROM unnest($1::text[]) n`, [names])).rows[0].b
        : 0;
    await c.end();
    const built = pass.created.map((x) => `${x.chunks} chunks ${(x.ms / 1000).toFixed(1)} s`).join(', ');
    console.log(`per-org indexes (min ${ORG_INDEXES ? ORG_INDEX_MIN : '-'}, max ${ORG_INDEXES ? ORG_INDEX_MAX : 0}): ${names.length} ` +
        `(${(Number(size) / 2 ** 20).toFixed(0)} MB); pass ${((performance.now() - t0) / 1000).toFixed(1)} s: ` +
        `${pass.created.length} created${built ? ` (${built})` : ''}, ${pass.dropped.length} dropped`);
}
async function queries() {
    const su = new pg.Client({ connectionString: url(DB, 'postgres') });
    await su.connect();
    await su.query(`SELECT setseed(0.17)`);
    const classes = {
        small: `size < 100`,
        medium: `size BETWEEN 1000 AND 20000`,
        large: `n = 1`,
    };
    const out = {};
    for (const [cls, cond] of Object.entries(classes)) {
        const orgs = (await su.query(`SELECT id FROM bench_orgs WHERE ${cond} ORDER BY n`)).rows.map((r) => r.id);
        if (!orgs.length)
            continue;
        const qs = [];
        for (let i = 0; i < QUERIES; i++) {
            const org = orgs[i % orgs.length];
            const vec = (await su.query(`SELECT bench_vec((random() * 1e12)::bigint)::text AS v`)).rows[0].v;
            // Exact top-k: a sequential scan, no index can serve this order.
            const truth = (await su.query(`SELECT id FROM private_chunks WHERE org_id = $1 ORDER BY 1 - (embedding <=> $2::vector) DESC, id LIMIT ${K}`, [org, vec])).rows.map((r) => r.id);
            qs.push({ org, vec, truth });
        }
        out[cls] = qs;
    }
    await su.end();
    return out;
}
const SQL = {
    shipped: `SELECT id FROM match_private_chunks($1, $2::vector, ${K})`,
    // The org through an InitPlan, not a constant: the shared index alone, never a per-org one.
    naive: `SELECT id FROM private_chunks WHERE org_id = (SELECT $1::uuid) ORDER BY embedding <=> $2::vector LIMIT ${K}`,
};
async function runOne(c, plan, q) {
    await c.query('BEGIN');
    try {
        await beginBenchTenant(c, q.org);
        if (plan === 'naive') {
            // One HNSW index, filter applied after the scan (pgvector < 0.8 behaviour, default ef_search).
            await c.query(`SET LOCAL hnsw.iterative_scan = off; SET LOCAL hnsw.ef_search = 40; SET LOCAL enable_sort = off;
                     SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off`);
        }
        const ids = (await c.query(SQL[plan], [q.org, q.vec])).rows.map((r) => r.id);
        await c.query('COMMIT');
        return ids;
    }
    catch (e) {
        await c.query('ROLLBACK');
        throw e;
    }
}
async function measure(pool, plan, qs) {
    // Warm-up pass (caches), then the measured pass at the given concurrency.
    {
        const c = await pool.connect();
        for (const q of qs.slice(0, Math.min(20, qs.length)))
            await runOne(c, plan, q);
        c.release();
    }
    const lat = [];
    let hit = 0;
    let total = 0;
    let short = 0;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONC }, async () => {
        const c = await pool.connect();
        try {
            while (next < qs.length) {
                const q = qs[next++];
                const s = performance.now();
                const ids = await runOne(c, plan, q);
                lat.push(performance.now() - s);
                const want = new Set(q.truth);
                hit += ids.filter((id) => want.has(id)).length;
                total += q.truth.length;
                if (ids.length < q.truth.length)
                    short++;
            }
        }
        finally {
            c.release();
        }
    }));
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    return { recall: total ? hit / total : 1, short, p50: pct(0.5), p95: pct(0.95), qps: qs.length / secs };
}
/**
 * What a search request spends before the database: embedding its query with the local model (one
 * query per call, as the search endpoint does), after a warm-up call that loads the model.
 */
async function embedTimes() {
    const model = new LocalEmbeddingProvider();
    const words = ['reset', 'password', 'invoice', 'refund', 'shipping', 'warranty', 'account', 'login', 'weather', 'warning'];
    await model.embed(['warm up']);
    const lat = [];
    for (let i = 0; i < EMBED; i++) {
        const q = `how do I ${words[i % 10]} my ${words[(i * 7 + 3) % 10]} after the ${words[(i * 3 + 1) % 10]}?`;
        const t = performance.now();
        await model.embed([q]);
        lat.push(performance.now() - t);
    }
    await model.close();
    lat.sort((a, b) => a - b);
    const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    console.log(`\nquery embedding (local model, one query per call, ${EMBED} calls): p50 ${pct(0.5).toFixed(2)} ms, p95 ${pct(0.95).toFixed(2)} ms`);
}
async function main() {
    const exists = await withAdmin(async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB])).rowCount);
    if (!REUSE || !exists)
        await build();
    else {
        console.log(`reusing database ${DB} (pending migrations run, search functions reapplied from this build)`);
        const ds = createDataSource({ url: url(DB, 'rocker_owner'), poolSize: 1 });
        await ds.initialize();
        await ds.runMigrations({ transaction: 'each' });
        await ds.destroy();
        const su = new pg.Client({ connectionString: url(DB, 'postgres') });
        await su.connect();
        for (const sql of [...SEARCH_FUNCTIONS_SQL, MATCH_PRIVATE_CHUNKS_SQL])
            await su.query(sql);
        await su.end();
    }
    await installBenchKeys(url(DB, 'rocker_owner'));
    await orgIndexes();
    const qs = await queries();
    const options = Object.entries(KNOBS).map(([k, v]) => `-c ${k}=${v}`).join(' ');
    const pool = new pg.Pool({ connectionString: url(DB, 'rocker_app'), max: CONC, ...(options ? { options } : {}) });
    if (options)
        console.log(`knobs: ${options}`);
    const rows = [];
    const fmt = (n, d = 2) => n.toFixed(d);
    console.log(`\nrecall@${K} vs exact, ${QUERIES} queries per class, concurrency ${CONC}\n`);
    const header = ['class', 'plan', 'recall@10', 'short', 'p50 ms', 'p95 ms', 'QPS'];
    for (const [cls, list] of Object.entries(qs)) {
        const shipped = await measure(pool, 'shipped', list);
        const naive = await measure(pool, 'naive', list);
        for (const [plan, r] of [['shipped', shipped], ['naive', naive]]) {
            rows.push([cls, plan, fmt(r.recall, 3), `${r.short}/${list.length}`, fmt(r.p50), fmt(r.p95), fmt(r.qps, 0)]);
        }
        rows.push([
            cls,
            'shipped/naive',
            naive.recall ? `${fmt(shipped.recall / naive.recall)}x` : 'inf',
            '',
            `${fmt(shipped.p50 / naive.p50)}x`,
            `${fmt(shipped.p95 / naive.p95)}x`,
            `${fmt(shipped.qps / naive.qps)}x`,
        ]);
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r) => r.map((v, i) => v.padEnd(widths[i])).join('  ');
    console.log(line(header));
    for (const r of rows)
        console.log(line(r));
    await pool.end();
    if (EMBED > 0)
        await embedTimes();
    if (!KEEP && !REUSE)
        await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));
}
main().catch((e) => {
    console.error(e);
    process.exit(1);
});
//# sourceMappingURL=search.js.map