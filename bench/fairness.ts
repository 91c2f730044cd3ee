/**
 * npm run bench:fairness — per-org fairness of the ingest queue, measured side by side in one run.
 *
 * Org A: a 5,000-job backlog; org B: one job every 200 ms. Two real worker processes, the default
 * org limit. Prints B's queue wait (queued → started, from the database) without and with A's
 * backlog, their ratio, jobs/s of the mixed run against an A-only run, and the A-only run's CPU
 * per job (worker processes, their Postgres backends).
 */
import { cpuMs } from './lib/proc.js';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadEnv } from '../src/config/env.js';
import { BENCH_CONTEXT_KEYS, beginBenchTenant, installBenchKeys } from './lib/context.js';
import { createDataSource } from '../src/database/data-source.js';
import { SIM_TABLE_SQL } from '../test/support/sim-handlers.js';
import { envVars, spawnSimWorker, type Child } from '../test/support/processes.js';
import { until } from '../test/support/wait.js';

const A_BACKLOG = Number(process.env.BENCH_A_JOBS ?? 5000);
const B_EVERY_MS = 200;
const B_ALONE_JOBS = Number(process.env.BENCH_B_JOBS ?? 25);
const WORK_MS = Number(process.env.BENCH_WORK_MS ?? 5);
const WORKERS = 2;
const ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const base = loadEnv();
const dbName = `rocker_bench_fair_${process.pid}`;
const dbUrl = (role: string, pw: string) => {
  const u = new URL(base.DATABASE_URL);
  u.username = role;
  u.password = pw;
  u.pathname = `/${dbName}`;
  return u.toString();
};
const prefix = `benchfair${process.pid}`;
const env = loadEnv({
  DATABASE_URL: dbUrl('rocker_app', 'rocker_app'),
  DATABASE_WORKER_URL: dbUrl('rocker_worker', 'rocker_worker'),
  TENANT_CONTEXT_KEYS: BENCH_CONTEXT_KEYS,
  DATABASE_OWNER_URL: dbUrl('rocker_owner', 'rocker_owner'),
  REDIS_PREFIX: prefix,
  LOG_LEVEL: 'warn',
  ROCKER_ROLE: 'worker',
  DATABASE_POOL_SIZE: '20',
  // the pipeline's own throughput and fairness, not the per-org start rate (whose default is 5 a second)
  INGEST_ORG_RATE: process.env.INGEST_ORG_RATE ?? '0',
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/**
 * CPU used so far by the worker processes and by the Postgres backends serving them (this bench's
 * own connections, application_name 'bench', left out). The database runs on this host: backends
 * are read from /proc by their pid. A per-job figure, unlike jobs/s, holds on a shared machine.
 */
async function cpuNow(owner: pg.Pool, workers: Child[]): Promise<{ workers: number; postgres: number }> {
  const pids = (
    await owner.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'bench'`, [dbName])
  ).rows.map((r) => r.pid);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
  return { workers: sum(workers.map((w) => cpuMs(w.pid))), postgres: sum(pids.map(cpuMs)) };
}

async function insert(app: pg.Pool, org: string, n: number): Promise<string[]> {
  const c = await app.connect();
  try {
    await c.query('BEGIN');
    await beginBenchTenant(c, org);
    const r = await c.query<{ id: string }>(
      `INSERT INTO ingest_jobs (org_id, kind, payload) SELECT $1, 'ocr', $2::jsonb FROM generate_series(1, $3) RETURNING id`,
      [org, JSON.stringify({ work_ms: WORK_MS }), n],
    );
    await c.query('COMMIT');
    return r.rows.map((x) => x.id);
  } finally {
    c.release();
  }
}

interface Timing {
  wait_ms: number;
  dispatch_ms: number;
  started: number;
  finished: number;
  queued: number;
}

async function timings(owner: pg.Pool, org: string, ids: string[]): Promise<Timing[]> {
  const c = await owner.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
    const r = await c.query<Timing>(
      `SELECT extract(epoch FROM started_at - queued_at)::float8 * 1000 AS wait_ms,
              extract(epoch FROM dispatched_at - queued_at)::float8 * 1000 AS dispatch_ms,
              extract(epoch FROM started_at)::float8 * 1000 AS started, extract(epoch FROM finished_at)::float8 * 1000 AS finished,
              extract(epoch FROM queued_at)::float8 * 1000 AS queued
         FROM ingest_jobs WHERE id = ANY($1) AND status = 'succeeded'`,
      [ids],
    );
    await c.query('COMMIT');
    return r.rows;
  } finally {
    c.release();
  }
}

async function allDone(owner: pg.Pool, org: string, ids: string[], timeoutMs: number): Promise<Timing[]> {
  await until(async () => (await timings(owner, org, ids)).length === ids.length, timeoutMs, `${ids.length} jobs`, 200);
  return timings(owner, org, ids);
}

/** B submits one job every 200 ms while `keepGoing` (at most `max`); returns B's ids. */
async function tickB(app: pg.Pool, org: string, max: number, keepGoing: () => boolean): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < max && keepGoing()) {
    const t0 = Date.now();
    ids.push(...(await insert(app, org, 1)));
    await sleep(Math.max(0, B_EVERY_MS - (Date.now() - t0)));
  }
  return ids;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName} OWNER rocker_owner`);
  const workers: Child[] = [];
  const owner = new pg.Pool({ connectionString: env.DATABASE_OWNER_URL, max: 4, application_name: 'bench' });
  const app = new pg.Pool({ connectionString: env.DATABASE_URL, max: 4, application_name: 'bench' });
  owner.on('error', () => undefined);
  app.on('error', () => undefined);
  try {
    const ds = createDataSource({ url: env.DATABASE_OWNER_URL!, poolSize: 1 });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    await installBenchKeys(env.DATABASE_OWNER_URL!);
    for (const s of SIM_TABLE_SQL) await owner.query(s);
    const [A, B, A2] = (
      await owner.query<{ id: string }>(`INSERT INTO orgs (slug, name) VALUES ('bench-a', 'A'), ('bench-b', 'B'), ('bench-a2', 'A2') RETURNING id`)
    ).rows.map((r) => r.id);

    for (let i = 0; i < WORKERS; i++) workers.push(await spawnSimWorker(envVars(env)));
    console.log(`fairness bench: ${WORKERS} worker processes × ${env.INGEST_WORKER_CONCURRENCY} per queue, org limit ${env.INGEST_ORG_CONCURRENCY}, job work ${WORK_MS} ms`);

    // Warm-up (connections, JIT), not measured.
    await allDone(owner, B, await insert(app, B, 20), 60_000);
    await allDone(owner, A2, await insert(app, A2, 500), 600_000);

    // 1. B alone.
    const bAloneIds = await tickB(app, B, B_ALONE_JOBS, () => true);
    const bAloneTimings = await allDone(owner, B, bAloneIds, 60_000);
    const bAlone = bAloneTimings.map((t) => t.wait_ms);

    // 2. A alone: single-org throughput (org A2, so phase 3 starts from a clean org A).
    const t2 = Date.now();
    const cpu0 = await cpuNow(owner, workers);
    const a2Ids = await insert(app, A2, A_BACKLOG);
    const a2 = await allDone(owner, A2, a2Ids, 600_000);
    const cpu1 = await cpuNow(owner, workers);
    const a2Secs = (Math.max(...a2.map((t) => t.finished)) - t2) / 1000;
    const singleRate = A_BACKLOG / a2Secs;
    const runMs = a2.map((t) => t.finished - t.started);
    console.log(`A-only run: ${a2Secs.toFixed(1)} s; job run time (start → finish) p50 ${pct(runMs, 50).toFixed(1)} ms p95 ${pct(runMs, 95).toFixed(1)} ms`);
    console.log(
      `A-only CPU per job: workers ${((cpu1.workers - cpu0.workers) / A_BACKLOG).toFixed(2)} ms, their Postgres backends ${((cpu1.postgres - cpu0.postgres) / A_BACKLOG).toFixed(2)} ms`,
    );

    // 3. A's backlog and B's trickle together.
    const t3 = Date.now();
    const aIds = await insert(app, A, A_BACKLOG);
    let aFinished = false;
    const watch = allDone(owner, A, aIds, 600_000).then((r) => {
      aFinished = true;
      return r;
    });
    const bIds = await tickB(app, B, Number.MAX_SAFE_INTEGER, () => !aFinished);
    const a = await watch;
    const b = await allDone(owner, B, bIds, 60_000);
    const end = Math.max(...a.map((t) => t.finished), ...b.map((t) => t.finished));
    const mixedRate = (a.length + b.length) / ((end - t3) / 1000);
    const bWith = b.map((t) => t.wait_ms);

    const row = (name: string, xs: number[]) =>
      `${name.padEnd(28)} n=${String(xs.length).padStart(4)}  p50=${pct(xs, 50).toFixed(1).padStart(7)} ms  p95=${pct(xs, 95).toFixed(1).padStart(7)} ms`;
    console.log(row("B wait, A idle", bAlone));
    console.log(row('  of which outbox → queue', bAloneTimings.map((t) => t.dispatch_ms)));
    console.log(row(`B wait, A's ${A_BACKLOG} backlog`, bWith));
    console.log(row('  of which outbox → queue', b.map((t) => t.dispatch_ms)));
    const r50 = pct(bWith, 50) / pct(bAlone, 50);
    const r95 = pct(bWith, 95) / pct(bAlone, 95);
    console.log(`ratio (with / without)       p50 ×${r50.toFixed(2)}  p95 ×${r95.toFixed(2)}   goal ≤ 1.5 (or within 1 s: B p95 ${pct(bWith, 95) <= 1000 ? '≤' : '>'} 1 s)`);
    console.log(`throughput                   A only ${singleRate.toFixed(0)} jobs/s   A+B ${mixedRate.toFixed(0)} jobs/s   ×${(mixedRate / singleRate).toFixed(2)}   goal ≥ 0.90`);
    console.log(`A's wait p50/p95 under its own backlog: ${(pct(a.map((t) => t.wait_ms), 50) / 1000).toFixed(1)} s / ${(pct(a.map((t) => t.wait_ms), 95) / 1000).toFixed(1)} s`);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await owner.end();
    await app.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(env.REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
