import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { cpuMs } from './lib/proc.js';
import { createBenchDb } from './lib/db.js';
import { load, startServer, stopServer, table, type LoadResult } from '../test/support/load/load.js';
import { signDevToken } from '../src/tenancy/dev-token.js';

/**
 * npm run bench:overhead — GET /v1/threads?limit=20 through the whole stack vs a bare Fastify + pg
 * handler doing the same token verification, transaction, signed tenant_begin() and query (and the
 * same handler with its statements prepared, as the stack prepares them on a direct connection). Same machine, same run, same
 * concurrency; the two are measured alternately (A B A B) and averaged to damp drift.
 */
const here = dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const secret = 'bench-secret-bench-secret-bench-secret-01';

const db = await createBenchDb('rocker_bench_overhead');
const owner = new pg.Client({ connectionString: db.ownerUrl });
await owner.connect();
const org = (await owner.query(`INSERT INTO orgs (slug, name) VALUES ('bench', 'Bench') RETURNING id`)).rows[0].id as string;
const user = (await owner.query(`INSERT INTO users (email) VALUES ('bench@bench.test') RETURNING id`)).rows[0].id as string;
await owner.query('BEGIN');
await owner.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
await owner.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [org, user]);
await owner.query(`INSERT INTO rocker_threads (org_id, title, created_by) SELECT $1, 'thread ' || g, $2 FROM generate_series(1, 200) g`, [org, user]);
await owner.query('COMMIT');
await owner.end();

/** The level the service ships with (info: one access line per request), unless BENCH_LOG_LEVEL says otherwise. */
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const env = {
  NODE_ENV: 'production',
  LOG_LEVEL,
  DATABASE_URL: db.appUrl,
  DATABASE_WORKER_URL: db.workerUrl,
  TENANT_CONTEXT_KEYS: db.contextKeys,
  DATABASE_POOL_SIZE: '10',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  REDIS_PREFIX: 'bench-overhead',
  JWT_SECRET: secret,
  JWT_ISSUER: 'rocker-bench',
  JWT_AUDIENCE: 'rocker-api',
  METRICS_TOKEN: 'bench-metrics-token-0123',
  // The limiter stays in the stack (its Redis round trip is part of the cost), with a ceiling
  // this run never reaches.
  RATE_LIMIT_DEFAULTS: JSON.stringify({ api: { limit: 100_000_000, window_s: 60 } }),
  BENCH_ORG_ID: org,
  BENCH_USER_ID: user,
};
const token = await signDevToken({ JWT_SECRET: secret, JWT_ISSUER: 'rocker-bench', JWT_AUDIENCE: 'rocker-api' }, { sub: user }, 3600);

type Measured = LoadResult & { cpuPerReq: number };
/**
 * BENCH_BEFORE_DIST=<another checkout's dist/>: its full stack runs as one more row of the same run,
 * for before/after figures measured side by side (that checkout needs its own node_modules).
 */
const BEFORE = process.env.BENCH_BEFORE_DIST;
type Which = 'baseline' | 'prepared' | 'full' | 'nolimit' | 'before';
const results: Record<Which, Measured[]> = { baseline: [], prepared: [], full: [], nolimit: [], before: [] };
const rowsToRun: Which[] = BEFORE ? ['baseline', 'prepared', 'before', 'full', 'nolimit'] : ['baseline', 'prepared', 'full', 'nolimit'];
for (let round = 0; round < ROUNDS; round++) {
  for (const which of rowsToRun) {
    const script =
      which === 'before'
        ? join(BEFORE!, 'bench', 'servers', 'full.js')
        : join(here, 'servers', `${which === 'baseline' || which === 'prepared' ? 'baseline' : 'full'}.js`);
    const extra: Record<string, string> =
      which === 'nolimit' ? { RATE_LIMIT_ENABLED: 'false' } : which === 'prepared' ? { BENCH_PREPARED: '1' } : {};
    const { child, port } = await startServer(script, { ...env, ...extra, NODE_ENV: 'test' });
    const url = `http://127.0.0.1:${port}/v1/threads?limit=20`;
    await load('warmup', { url, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS, duration: 2 });
    const cpu0 = cpuMs(child.pid!);
    const r = await load(which, { url, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS, duration: DURATION });
    results[which].push({ ...r, cpuPerReq: (cpuMs(child.pid!) - cpu0) / (r.rps * DURATION) });
    await stopServer(child);
  }
}

const avg = (rs: Measured[], k: keyof Measured) => rs.reduce((s, r) => s + (r[k] as number), 0) / rs.length;
const LABELS: Record<Which, string> = {
  before: `full stack at ${BEFORE ?? ''}`,
  baseline: 'bare Fastify + pg (JWT, same tx, tenant_begin, query)',
  prepared: 'the same, its two statements prepared',
  full: 'full stack (guards, limiter, tenant_begin tx, RLS, logs, metrics)',
  nolimit: 'full stack without the limiter (RATE_LIMIT_ENABLED=false)',
};
const rows = rowsToRun.map((w) => ({
  stack: LABELS[w],
  'req/s': avg(results[w], 'rps').toFixed(0),
  'p50 ms': avg(results[w], 'p50').toFixed(2),
  'p95 ms': avg(results[w], 'p95').toFixed(2),
  'p99 ms': avg(results[w], 'p99').toFixed(2),
  non2xx: avg(results[w], 'non2xx').toFixed(0),
  'server CPU ms/req': avg(results[w], 'cpuPerReq').toFixed(3),
}));
console.log(`\nbench:overhead  GET /v1/threads?limit=20  connections=${CONNECTIONS} duration=${DURATION}s x ${ROUNDS} rounds, service log level ${LOG_LEVEL}\n`);
console.log(table(rows));
const thr = avg(results.full, 'rps') / avg(results.baseline, 'rps');
const p95 = avg(results.full, 'p95') / avg(results.baseline, 'p95');
console.log(`\nthroughput ratio full/baseline: ${thr.toFixed(2)}x  (goal >= 0.75, aim 0.9)`);
console.log(`p95 latency ratio full/baseline: ${p95.toFixed(2)}x  (goal <= 1.5)`);
console.log(`throughput ratio without the limiter/baseline: ${(avg(results.nolimit, 'rps') / avg(results.baseline, 'rps')).toFixed(2)}x`);
console.log(
  `against the bare handler with prepared statements: throughput ${(thr * (avg(results.baseline, 'rps') / avg(results.prepared, 'rps'))).toFixed(2)}x, p95 ${(avg(results.full, 'p95') / avg(results.prepared, 'p95')).toFixed(2)}x`,
);
if (BEFORE)
  console.log(
    `after/before: throughput ${(avg(results.full, 'rps') / avg(results.before, 'rps')).toFixed(2)}x, p95 ${(avg(results.full, 'p95') / avg(results.before, 'p95')).toFixed(2)}x, server CPU per request ${(avg(results.full, 'cpuPerReq') / avg(results.before, 'cpuPerReq')).toFixed(2)}x`,
  );
console.log(
  `server CPU per request full/baseline: ${(avg(results.full, 'cpuPerReq') / avg(results.baseline, 'cpuPerReq')).toFixed(2)}x` +
    ` (without the limiter ${(avg(results.nolimit, 'cpuPerReq') / avg(results.baseline, 'cpuPerReq')).toFixed(2)}x; the throughput goal of 0.75x needs about 1.33x)`,
);
await db.drop();
if (Object.values(results).some((r) => avg(r, 'non2xx') > 0)) {
  console.error('non-2xx answers during the benchmark: the figures are not valid');
  process.exit(1);
}
