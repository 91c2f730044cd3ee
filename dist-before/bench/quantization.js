/**
 * npm run bench:quantization [-- --chunks 20000 --queries 200 --c 20,40,80,200 --ef 40,60,100 --keep --reuse]
 *
 * Binary quantization with re-ranking against a half-precision graph, on REAL text embeddings: one
 * org's chunks as a plain table (no RLS, no org column: what a per-org index holds), embedded with
 * the service's local model (USE-lite, 512-d). Measures, per configuration, recall@10 against exact
 * cosine search, mean shared buffers touched per query (EXPLAIN (ANALYZE, BUFFERS): hit + read of the
 * top plan node) and p50/p95 single-client latency of the query itself (timed apart from the EXPLAIN):
 *
 *  - binary: HNSW on binary_quantize(embedding)::bit(512) (bit_hamming_ops), its top C candidates by
 *    Hamming distance (hnsw.ef_search = C, LIMIT C) re-ranked by exact cosine distance, C in 20, 40, 80, 200 (--c);
 *    "Hamming top-C" is the recall the same re-ranking gets from an exact (sequential) Hamming top C,
 *    the ceiling of the graph: what quantization alone loses;
 *  - halfvec: HNSW on embedding::halfvec(512) (halfvec_cosine_ops), LIMIT 10, ef_search 40, 60, 100 (--ef);
 *  - exact: the sequential scan the truth comes from;
 *
 * and each index's size and build time (m = 16, ef_construction = 200, maintenance_work_mem 1GB).
 * Then the same graphs' recall for --own-rows (200) corpus rows as queries, each without itself, next
 * to the questions': the measure the per-org index pass takes of a sign-bit graph (org-indexes.ts).
 *
 * Corpus: paragraphs of the markdown files and of the JSDoc comments of the .d.ts files under
 * node_modules (split on blank lines, code blocks and markup stripped, 80-1000 characters, mostly
 * words, deduplicated), ordered by their SHA-1; the first --chunks form the corpus, the next --queries
 * paragraphs (their first sentence) the queries. Scratch database rocker_bench_quant, dropped at the
 * end unless --keep; --reuse reuses its vectors when they were embedded from the same texts.
 */
import pg from 'pg';
import { withAdmin } from './lib/db.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalEmbeddingProvider } from '../src/modules/embeddings/local-embedding.provider.js';
import { BITS_CANDIDATE_STEPS } from '../src/modules/search/org-indexes.js';
const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';
const DB = 'rocker_bench_quant';
const DB_URL = `postgres://postgres@${PG_HOST}/${DB}`;
function flag(name, dflt) {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const CHUNKS = flag('chunks', 20_000);
const QUERIES = flag('queries', 200);
const KEEP = process.argv.includes('--keep');
const REUSE = process.argv.includes('--reuse');
const K = 10;
const DIM = 512;
/** `--name 20,30,40`: a comma-separated list of numbers. */
function listFlag(name, dflt) {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1].split(',').map(Number) : dflt;
}
const BINARY_C = listFlag('c', [20, 40, 80, 200]);
const HALFVEC_EF = listFlag('ef', [40, 60, 100]);
const HNSW_WITH = 'WITH (m = 16, ef_construction = 200)';
/** Corpus rows searched as queries (each without itself), as the per-org index pass measures a sign-bit graph. */
const OWN_ROWS = flag('own-rows', 200);
const EMBED_BATCH = 16;
const PROGRESS_EVERY = 2000;
/** Every .md and .d.ts file under `dir`, sorted (symlinks are not followed). */
function sourceFiles(dir, out = []) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory())
            sourceFiles(p, out);
        else if (e.isFile() && /\.(md|d\.ts|d\.mts|d\.cts)$/i.test(e.name))
            out.push(p);
    }
    return out;
}
const FENCE = /^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm;
/** Raw paragraphs of one file: markdown text, or the prose of its /** comments (tags dropped). */
function rawParagraphs(text, kind) {
    const t = text.replace(/\r\n?/g, '\n');
    if (kind === 'md')
        return t
            .replace(FENCE, '\n\n')
            .replace(/<!--[\s\S]*?-->/g, ' ')
            .split(/\n\s*\n/);
    const out = [];
    for (const m of t.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
        const body = m[1]
            .split('\n')
            .map((l) => l.replace(/^\s*\*( ?)/, ''))
            .join('\n')
            .replace(FENCE, '\n\n')
            .replace(/^@[\s\S]*$/m, ''); // @param, @example, ...: from the first tag to the end
        out.push(...body.split(/\n\s*\n/));
    }
    return out;
}
/** A paragraph as plain prose, or null when it is code, a table, or not mostly words. */
function cleanParagraph(p) {
    const lines = p.split('\n').filter((l) => !/^\s*#/.test(l)); // headings
    if (lines.some((l) => /^( {4}|\t)/.test(l) && !/^\s*([-*+]|\d+\.)\s/.test(l)))
        return null; // indented code
    if (lines.some((l) => /^\s*\|/.test(l)))
        return null; // tables
    const s = lines
        .join('\n')
        .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ') // images
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
        .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1')
        .replace(/\{@link\s+([^}|\s]+)(?:[\s|]([^}]*))?\}/g, (_, a, b) => b || a)
        .replace(/<[^>]+>/g, ' ') // html
        .replace(/^\s*>\s?/gm, '') // quotes
        .replace(/^\s*([-*+]|\d+\.)\s+/gm, '') // list markers
        .replace(/`([^`]*)`/g, '$1')
        .replace(/(\*\*|__|\*|~~)/g, '')
        .replace(/\\([\\`*_{}[\]()#+\-.!$])/g, '$1')
        .replace(/&[a-z]+;/g, ' ')
        .replace(/https?:\/\/\S+/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    if (s.length < 80 || s.length > 1000)
        return null;
    const toks = s.split(' ');
    const letters = (s.match(/[A-Za-z]/g) ?? []).length;
    const words = toks.filter((w) => /^[("']?[A-Za-z][a-z'’-]*[.,;:!?)"']*$/.test(w)).length;
    if (letters / s.length < 0.7 || words < 8 || words / toks.length < 0.6)
        return null;
    return s;
}
/** The first sentence of a paragraph (the paragraph itself when that sentence is under 40 characters). */
function firstSentence(p) {
    const s = p.split(/(?<=[.!?])\s+(?=[A-Z])/)[0];
    return s.length >= 40 ? s : p;
}
function loadCorpus() {
    const files = sourceFiles('node_modules').sort();
    const seen = new Map();
    const fileCount = { md: 0, dts: 0 };
    for (const f of files) {
        const kind = f.toLowerCase().endsWith('.md') ? 'md' : 'dts';
        fileCount[kind]++;
        for (const raw of rawParagraphs(readFileSync(f, 'utf8'), kind)) {
            const p = cleanParagraph(raw);
            if (p && !seen.has(p))
                seen.set(p, kind);
        }
    }
    const all = [...seen].map(([text, kind]) => ({
        text,
        kind,
        hash: createHash('sha1').update(text).digest('hex'),
    }));
    all.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    const chunks = all.slice(0, CHUNKS);
    const inCorpus = new Set(chunks.map((c) => c.text));
    const queries = [];
    for (const p of all.slice(CHUNKS)) {
        if (queries.length >= QUERIES)
            break;
        const q = firstSentence(p.text);
        if (!inCorpus.has(q))
            queries.push(q);
    }
    if (chunks.length < CHUNKS || queries.length < QUERIES) {
        throw new Error(`only ${all.length} paragraphs under node_modules: not enough for ${CHUNKS} chunks + ${QUERIES} queries`);
    }
    const h = createHash('sha1');
    for (const t of [...chunks.map((c) => c.text), '\0', ...queries])
        h.update(t).update('\n');
    return { files: fileCount, pool: all.length, chunks, queries, fingerprint: h.digest('hex') };
}
// ---------------------------------------------------------------------------------------------
// Database.
const vecText = (v) => `[${v.join(',')}]`;
/** Whether the scratch database holds vectors embedded from exactly these texts. */
async function reusable(corpus) {
    const exists = await withAdmin(async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB])).rowCount);
    if (!exists)
        return false;
    const c = new pg.Client({ connectionString: DB_URL });
    await c.connect();
    try {
        if (!(await c.query(`SELECT to_regclass('bench_meta') IS NOT NULL AS e`)).rows[0].e)
            return false;
        const r = await c.query(`SELECT v FROM bench_meta WHERE k = 'fingerprint'`);
        return r.rows[0]?.v === corpus.fingerprint;
    }
    finally {
        await c.end();
    }
}
/** A fresh scratch database with the corpus and the queries embedded by the local model. */
async function load(corpus, model) {
    await withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${DB}`);
    });
    const c = new pg.Client({ connectionString: DB_URL });
    await c.connect();
    try {
        await c.query(`CREATE EXTENSION IF NOT EXISTS vector`); // template1 may already have it
        await c.query(`CREATE TABLE chunks (id int PRIMARY KEY, embedding vector(${DIM}))`);
        await c.query(`ALTER TABLE chunks ALTER COLUMN embedding SET STORAGE PLAIN`);
        await c.query(`CREATE TABLE queries (id int PRIMARY KEY, embedding vector(${DIM}))`);
        await c.query(`CREATE TABLE bench_meta (k text PRIMARY KEY, v text NOT NULL)`);
        // Chunks first (ids 1..N), then the queries (ids 1..Q), in batches of 16 as the service embeds.
        const texts = [...corpus.chunks.map((p) => p.text), ...corpus.queries];
        const total = texts.length;
        const t0 = performance.now();
        let pending = null;
        const flush = async () => {
            if (!pending || !pending.ids.length)
                return;
            await c.query(`INSERT INTO ${pending.table} (id, embedding) SELECT * FROM unnest($1::int[], $2::text[]::vector(${DIM})[])`, [pending.ids, pending.vecs]);
            pending = null;
        };
        let tokens = 0;
        for (let i = 0; i < total; i += EMBED_BATCH) {
            const batch = texts.slice(i, i + EMBED_BATCH);
            const r = await model.embed(batch);
            if (r.vectors.length !== batch.length)
                throw new Error(`model returned ${r.vectors.length}/${batch.length}`);
            tokens += r.tokens;
            for (let j = 0; j < batch.length; j++) {
                const n = i + j;
                const table = n < corpus.chunks.length ? 'chunks' : 'queries';
                if (pending && pending.table !== table)
                    await flush();
                pending ??= { ids: [], vecs: [], table };
                pending.ids.push(table === 'chunks' ? n + 1 : n - corpus.chunks.length + 1);
                pending.vecs.push(vecText(r.vectors[j]));
            }
            const done = Math.min(total, i + EMBED_BATCH);
            if (Math.floor(done / PROGRESS_EVERY) > Math.floor(i / PROGRESS_EVERY) || done === total) {
                await flush();
                const s = (performance.now() - t0) / 1000;
                const rate = done / s;
                console.log(`  embedded ${done}/${total} in ${s.toFixed(0)} s (${rate.toFixed(1)}/s, ~${((total - done) / rate).toFixed(0)} s left)`);
            }
        }
        await flush();
        const secs = (performance.now() - t0) / 1000;
        console.log(`embedding: ${total} texts (${tokens} tokens) in ${secs.toFixed(1)} s, ${(total / secs).toFixed(1)} texts/s`);
        await c.query(`INSERT INTO bench_meta VALUES ('fingerprint', $1), ('embed_seconds', $2)`, [
            corpus.fingerprint,
            secs.toFixed(1),
        ]);
        await c.query(`VACUUM ANALYZE chunks`);
        await c.query(`VACUUM ANALYZE queries`);
    }
    finally {
        await c.end();
    }
}
/** Every index a plan scans. */
function scannedIndexes(node, out = []) {
    if (node['Index Name'])
        out.push(node['Index Name']);
    for (const child of node.Plans ?? [])
        scannedIndexes(child, out);
    return out;
}
async function buildIndex(c, name, expr) {
    const def = `CREATE INDEX ${name} ON chunks USING hnsw (${expr}) ${HNSW_WITH}`;
    const t0 = performance.now();
    await c.query(def);
    const secs = (performance.now() - t0) / 1000;
    const bytes = (await c.query(`SELECT pg_relation_size($1::regclass) AS b`, [name])).rows[0].b;
    return { name, def, mb: Number(bytes) / 2 ** 20, secs };
}
async function measure(c, cfg, qs) {
    if (cfg.ef !== null)
        await c.query(`SET hnsw.ef_search = ${cfg.ef}`);
    await c.query(`SET enable_indexscan = ${cfg.index ? 'on' : 'off'}`);
    // Pass 1 (also the warm-up): buffers, and the plan scans the intended index.
    let buffers = 0;
    for (const q of qs) {
        const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${cfg.sql}`, [q.vec])).rows[0]['QUERY PLAN'][0].Plan;
        const used = scannedIndexes(plan);
        const ok = cfg.index ? used.length === 1 && used[0] === cfg.index : used.length === 0;
        if (!ok)
            throw new Error(`${cfg.label} ${cfg.knob}: plan scans [${used.join(', ')}], not ${cfg.index ?? 'no index'}`);
        buffers += (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
    }
    // Pass 2: the query itself, timed, and its recall.
    const lat = [];
    let hit = 0;
    let boundHit = 0;
    for (const q of qs) {
        const t = performance.now();
        const ids = (await c.query(cfg.sql, [q.vec])).rows.map((r) => String(r.id));
        lat.push(performance.now() - t);
        const want = new Set(q.truth);
        hit += ids.filter((id) => want.has(id)).length;
        if (cfg.bound)
            boundHit += cfg.bound(q).filter((id) => want.has(id)).length;
    }
    await c.query(`RESET enable_indexscan`);
    lat.sort((a, b) => a - b);
    const pct = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    const total = qs.length * K;
    return {
        recall: hit / total,
        bound: cfg.bound ? boundHit / total : null,
        buffers: buffers / qs.length,
        p50: pct(0.5),
        p95: pct(0.95),
    };
}
/**
 * Recall@10 of `sql` (a plan returning k + 1 ids for $1) at each ef_search, for the questions and
 * for corpus rows as queries: a row's result without itself against its exact top 10 among the
 * other rows. The per-org index pass (org-indexes.ts) trusts this measure for sign bits only.
 */
async function ownRowsVsQuestions(c, sqlAt, efs, questions, own) {
    const out = [];
    for (const ef of efs) {
        await c.query(`SET hnsw.ef_search = ${ef}`);
        const recall = async (qs) => {
            let hit = 0;
            for (const q of qs) {
                const ids = (await c.query(sqlAt(ef), [q.vec])).rows.map((r) => String(r.id)).filter((id) => id !== q.id);
                const want = new Set(q.truth);
                hit += ids.slice(0, K).filter((id) => want.has(id)).length;
            }
            return hit / (qs.length * K);
        };
        out.push([String(ef), (await recall(questions)).toFixed(3), (await recall(own)).toFixed(3)]);
    }
    return out;
}
function table(header, rows) {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r) => r.map((v, i) => v.padEnd(widths[i])).join('  ');
    console.log(line(header));
    for (const r of rows)
        console.log(line(r));
}
async function main() {
    const t0 = performance.now();
    const corpus = loadCorpus();
    const kinds = { md: 0, dts: 0 };
    for (const p of corpus.chunks)
        kinds[p.kind]++;
    const meanLen = (xs) => xs.reduce((a, s) => a + s.length, 0) / xs.length;
    console.log(`corpus: ${corpus.chunks.length} paragraphs (${kinds.md} from ${corpus.files.md} .md files, ${kinds.dts} from the ` +
        `/** comments of ${corpus.files.dts} .d.ts files under node_modules; ${corpus.pool} distinct paragraphs found), ` +
        `mean ${meanLen(corpus.chunks.map((p) => p.text)).toFixed(0)} chars`);
    console.log(`queries: ${corpus.queries.length} other paragraphs' first sentences, mean ${meanLen(corpus.queries).toFixed(0)} chars; ` +
        `e.g. "${corpus.queries[0]}"`);
    let model;
    let c;
    try {
        if (REUSE && (await reusable(corpus))) {
            console.log(`reusing the vectors in ${DB} (embedded from the same texts)`);
        }
        else {
            if (REUSE)
                console.log(`${DB} missing or embedded from other texts: embedding again`);
            model = new LocalEmbeddingProvider();
            console.log(`embedding with ${model.model} (${model.dimension}-d), batches of ${EMBED_BATCH}`);
            await load(corpus, model);
            await model.close();
            model = undefined;
        }
        c = new pg.Client({ connectionString: DB_URL });
        await c.connect();
        await c.query(`DROP INDEX IF EXISTS chunks_bq_hnsw`);
        await c.query(`DROP INDEX IF EXISTS chunks_half_hnsw`);
        const setting = async (n) => (await c.query(`SELECT current_setting($1) AS v`, [n])).rows[0].v;
        const pgv = (await c.query(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`)).rows[0]
            .extversion;
        const heapMb = Number((await c.query(`SELECT pg_relation_size('chunks') AS b`)).rows[0].b) / 2 ** 20;
        console.log(`postgres ${await setting('server_version')}, pgvector ${pgv}, shared_buffers ${await setting('shared_buffers')}, ` +
            `${cpus().length} CPUs; chunks heap ${heapMb.toFixed(1)} MB`);
        // Exact truth and the exact Hamming ranking, before any index exists.
        const qs = [];
        await c.query(`SET enable_indexscan = off`);
        const qrows = (await c.query(`SELECT embedding::text AS v FROM queries ORDER BY id`)).rows;
        for (const { v } of qrows) {
            const truth = (await c.query(`SELECT id FROM chunks ORDER BY embedding <=> $1::vector, id LIMIT ${K}`, [v])).rows.map((r) => String(r.id));
            const hamming = (await c.query(`SELECT id, embedding <=> $1::vector AS d FROM chunks
            ORDER BY binary_quantize(embedding)::bit(${DIM}) <~> binary_quantize($1::vector), id
            LIMIT ${Math.max(...BINARY_C)}`, [v])).rows.map((r) => ({ id: String(r.id), d: Number(r.d) }));
            qs.push({ vec: v, truth, hamming });
        }
        await c.query(`RESET enable_indexscan`);
        // The two graphs.
        await c.query(`SET maintenance_work_mem = '1GB'`);
        const workers = await setting('max_parallel_maintenance_workers');
        const indexes = [
            await buildIndex(c, 'chunks_bq_hnsw', `(binary_quantize(embedding)::bit(${DIM})) bit_hamming_ops`),
            await buildIndex(c, 'chunks_half_hnsw', `(embedding::halfvec(${DIM})) halfvec_cosine_ops`),
        ];
        await c.query(`VACUUM ANALYZE chunks`);
        console.log(`\nindexes (HNSW m=16, ef_construction=200, maintenance_work_mem 1GB, max_parallel_maintenance_workers ${workers})\n`);
        table(['index', 'size MB', 'build s'], indexes.map((i) => [
            i.def.replace(/^CREATE INDEX (\S+) ON chunks USING hnsw /, '$1 ').replace(` ${HNSW_WITH}`, ''),
            i.mb.toFixed(1),
            i.secs.toFixed(1),
        ]));
        const configs = [
            {
                label: 'exact (seq scan)',
                knob: '-',
                ef: null,
                sql: `SELECT id FROM chunks ORDER BY embedding <=> $1::vector, id LIMIT ${K}`,
                index: null,
            },
            ...BINARY_C.map((C) => ({
                label: 'binary + re-rank',
                knob: `C=${C}`,
                ef: C,
                sql: `SELECT id FROM (SELECT id, embedding FROM chunks
                  ORDER BY binary_quantize(embedding)::bit(${DIM}) <~> binary_quantize($1::vector) LIMIT ${C}) s
                ORDER BY s.embedding <=> $1::vector, s.id LIMIT ${K}`,
                index: 'chunks_bq_hnsw',
                bound: (q) => q.hamming
                    .slice(0, C)
                    .sort((a, b) => a.d - b.d || Number(a.id) - Number(b.id))
                    .slice(0, K)
                    .map((h) => h.id),
            })),
            ...HALFVEC_EF.map((ef) => ({
                label: 'halfvec',
                knob: `ef=${ef}`,
                ef,
                sql: `SELECT id FROM chunks ORDER BY embedding::halfvec(${DIM}) <=> $1::vector::halfvec(${DIM}) LIMIT ${K}`,
                index: 'chunks_half_hnsw',
            })),
        ];
        const rows = [];
        for (const cfg of configs) {
            const r = await measure(c, cfg, qs);
            rows.push([
                cfg.label,
                cfg.knob,
                r.recall.toFixed(3),
                r.bound === null ? '' : r.bound.toFixed(3),
                r.buffers.toFixed(0),
                r.p50.toFixed(2),
                r.p95.toFixed(2),
            ]);
        }
        console.log(`\nrecall@${K} vs exact cosine, ${qs.length} queries over ${corpus.chunks.length} chunks, one client ` +
            `(buffers: shared hit + read of the top plan node, mean per query)\n`);
        table(['plan', 'C / ef_search', 'recall@10', 'Hamming top-C', 'buffers', 'p50 ms', 'p95 ms'], rows);
        // The questions against the org's own rows as queries: what the index pass measures.
        if (OWN_ROWS > 0) {
            await c.query(`SET enable_indexscan = off`);
            const own = [];
            for (const r of (await c.query(`SELECT id, embedding::text AS v FROM chunks ORDER BY md5(id::text) LIMIT $1`, [OWN_ROWS])).rows) {
                const truth = (await c.query(`SELECT id FROM chunks WHERE id <> $2 ORDER BY embedding <=> $1::vector, id LIMIT ${K}`, [
                    r.v,
                    r.id,
                ])).rows.map((t) => String(t.id));
                own.push({ id: String(r.id), vec: r.v, truth });
            }
            await c.query(`RESET enable_indexscan`);
            const candidates = [...new Set([...BITS_CANDIDATE_STEPS, ...BINARY_C])].sort((a, b) => a - b);
            const bits = await ownRowsVsQuestions(c, (C) => `SELECT id FROM (SELECT id, embedding FROM chunks
            ORDER BY binary_quantize(embedding)::bit(${DIM}) <~> binary_quantize($1::vector) LIMIT ${C}) s
          ORDER BY s.embedding <=> $1::vector, s.id LIMIT ${K + 1}`, candidates, qs, own);
            const half = await ownRowsVsQuestions(c, () => `SELECT id FROM chunks ORDER BY embedding::halfvec(${DIM}) <=> $1::vector::halfvec(${DIM}) LIMIT ${K + 1}`, HALFVEC_EF, qs, own);
            console.log(`\nrecall@${K}: the ${qs.length} questions vs ${own.length} corpus rows as queries (each without itself), ` +
                `the per-org index pass's measure (it trusts it for sign bits only)\n`);
            table(['plan', 'C / ef_search', 'questions', 'own rows'], [...bits.map((r) => ['binary + re-rank', `C=${r[0]}`, r[1], r[2]]), ...half.map((r) => ['halfvec', `ef=${r[0]}`, r[1], r[2]])]);
        }
        console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    finally {
        await c?.end().catch(() => undefined);
        await model?.close().catch(() => undefined);
        if (!KEEP)
            await withAdmin((a) => a.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));
        else
            console.log(`kept database ${DB} (--reuse to use its vectors again)`);
    }
}
main().catch((e) => {
    console.error(e);
    process.exit(1);
});
//# sourceMappingURL=quantization.js.map