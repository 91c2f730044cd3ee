import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { createBenchDb } from './lib/db.js';
import { beginBenchTenant } from './lib/context.js';
import { table } from '../test/support/load/load.js';

/**
 * npm run bench:pgbouncer — 1,000 client connections through PgBouncer (transaction pooling, a
 * pool of 20 server connections: setup's default_pool_size) running the service's tenant
 * transaction (BEGIN; tenant_begin(); the threads list page; COMMIT), against the same 1,000
 * concurrent callers sharing 20 direct connections in-process (a pg.Pool of 20, what one app
 * instance does), measured alternately in the same run. A third row runs the same list page
 * without `org_id = $1` (RLS alone, the SQL before org routing) on the direct pool. Two more rows
 * send tenant_begin() and the page as named prepared statements, as the service does
 * (DATABASE_PREPARED_STATEMENTS): through PgBouncer (1.21+ carries them between server connections,
 * max_prepared_statements) and direct.
 * 1,000 direct connections are not a row: Postgres here allows max_connections = 100.
 *
 * BENCH_CLIENTS (1000), BENCH_POOL (20), BENCH_DURATION seconds per run (5), BENCH_ROUNDS (1),
 * PGBOUNCER_URL_HOST (127.0.0.1:6432).
 */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const POOL = Number(process.env.BENCH_POOL ?? 20);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const PGB_HOST = process.env.PGBOUNCER_URL_HOST ?? '127.0.0.1:6432';
const ORGS = 20;
const THREADS_PER_ORG = 500;

const db = await createBenchDb('rocker_bench_pgbouncer');
const owner = new pg.Client({ connectionString: db.ownerUrl });
await owner.connect();
const tenants: { org: string; user: string }[] = [];
for (let i = 0; i < ORGS; i++) {
  const org = (await owner.query(`INSERT INTO orgs (slug, name) VALUES ($1, $1) RETURNING id`, [`bench-${i}`])).rows[0].id as string;
  const user = (await owner.query(`INSERT INTO users (email) VALUES ($1) RETURNING id`, [`bench-${i}@bench.test`])).rows[0].id as string;
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
  await owner.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [org, user]);
  await owner.query(
    `INSERT INTO rocker_threads (org_id, title, created_by) SELECT $1, 'thread ' || g, $2 FROM generate_series(1, $3) g`,
    [org, user, THREADS_PER_ORG],
  );
  await owner.query('COMMIT');
  tenants.push({ org, user });
}
await owner.query('ANALYZE');
await owner.end();

const ROUTED = `SELECT id, title, created_by, created_at FROM rocker_threads WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21`;
const RLS_ONLY = `SELECT id, title, created_by, created_at FROM rocker_threads ORDER BY created_at DESC, id DESC LIMIT 21`;

/** The service's tenant transaction on one connection: 4 round trips; `prepared`: its two statements named. */
async function tenantTx(c: pg.ClientBase, t: { org: string; user: string }, routed: boolean, prepared = false): Promise<void> {
  await c.query('BEGIN');
  try {
    // the service's signed tenant_begin() (the benchmark's key, installed by createBenchDb)
    await beginBenchTenant(c, t.org, { userId: t.user, role: 'owner' }, prepared ? 'bench_begin' : undefined);
    const r = routed
      ? await c.query({ name: prepared ? 'bench_routed' : undefined, text: ROUTED, values: [t.org] })
      : await c.query(RLS_ONLY);
    if (r.rowCount !== 21) throw new Error(`expected 21 rows, got ${r.rowCount}`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

interface Run {
  tx: number;
  errors: number;
  lat: number[];
  seconds: number;
}

/** CLIENTS callers, each looping tenant transactions until the deadline. */
let firstError: unknown;

async function drive(seconds: number, once: (i: number) => Promise<void>): Promise<Run> {
  const lat: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await once(i);
          lat.push(performance.now() - t0);
        } catch (e) {
          errors++;
          firstError ??= e;
        }
      }
    }),
  );
  return { tx: lat.length, errors, lat, seconds: (performance.now() - start) / 1000 };
}

// PgBouncer: 1,000 real client connections, each its own pg.Client.
const pooledUrl = (() => {
  const u = new URL(db.appUrl);
  u.host = PGB_HOST;
  return u.toString();
})();
const t0 = performance.now();
const clients: pg.Client[] = [];
for (let i = 0; i < CLIENTS; i += 100) {
  const batch = Array.from({ length: Math.min(100, CLIENTS - i) }, () => new pg.Client({ connectionString: pooledUrl }));
  await Promise.all(batch.map((c) => c.connect()));
  clients.push(...batch);
}
const connectMs = performance.now() - t0;
const direct = new pg.Pool({ connectionString: db.appUrl, max: POOL });
// pg-pool's end() resolves once its clients are told to end, not once their sockets have closed: the
// database drop after it may terminate a backend still closing, which must not crash the run.
direct.on('error', () => undefined);

const viaDirect = (routed: boolean, prepared: boolean) => (s: number) =>
  drive(s, async (i) => {
    const c = await direct.connect();
    try {
      await tenantTx(c, tenants[i % ORGS], routed, prepared);
    } finally {
      c.release();
    }
  });
const modes = {
  pgbouncer: (s: number) => drive(s, (i) => tenantTx(clients[i], tenants[i % ORGS], true)),
  'pgbouncer, prepared': (s: number) => drive(s, (i) => tenantTx(clients[i], tenants[i % ORGS], true, true)),
  direct: viaDirect(true, false),
  'direct, prepared': viaDirect(true, true),
  'direct, RLS only': viaDirect(false, false),
} as const;
type Mode = keyof typeof modes;

const results = Object.fromEntries(Object.keys(modes).map((m) => [m, []])) as unknown as Record<Mode, Run[]>;
for (let round = 0; round < ROUNDS; round++) {
  for (const m of Object.keys(modes) as Mode[]) {
    await modes[m](1); // warm-up
    results[m].push(await modes[m](DURATION));
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const summary = (runs: Run[]) => {
  const lat = runs.flatMap((r) => r.lat);
  return {
    tps: runs.reduce((s, r) => s + r.tx, 0) / runs.reduce((s, r) => s + r.seconds, 0),
    p50: pct(lat, 50),
    p95: pct(lat, 95),
    p99: pct(lat, 99),
    errors: runs.reduce((s, r) => s + r.errors, 0),
  };
};
const S = Object.fromEntries((Object.keys(modes) as Mode[]).map((m) => [m, summary(results[m])])) as Record<Mode, ReturnType<typeof summary>>;
const LABEL: Record<Mode, string> = {
  pgbouncer: `${CLIENTS} connections -> PgBouncer (pool ${POOL})`,
  'pgbouncer, prepared': `same, statements prepared`,
  direct: `${CLIENTS} callers -> pg.Pool of ${POOL} direct`,
  'direct, prepared': `same, statements prepared`,
  'direct, RLS only': `same, list page without org_id = $1`,
};
console.log(
  `\nbench:pgbouncer  tenant transaction (BEGIN; tenant_begin; threads page of 21; COMMIT), ${ORGS} orgs x ${THREADS_PER_ORG} threads, ${DURATION}s x ${ROUNDS} rounds\n`,
);
console.log(
  table(
    (Object.keys(modes) as Mode[]).map((m) => ({
      path: LABEL[m],
      'tx/s': S[m].tps.toFixed(0),
      'p50 ms': S[m].p50.toFixed(1),
      'p95 ms': S[m].p95.toFixed(1),
      'p99 ms': S[m].p99.toFixed(1),
      errors: S[m].errors,
    })),
  ),
);
console.log(`\n${CLIENTS} client connections to PgBouncer opened in ${connectMs.toFixed(0)} ms`);
console.log(`throughput ratio pgbouncer/direct: ${(S.pgbouncer.tps / S.direct.tps).toFixed(2)}x`);
console.log(`p95 latency ratio pgbouncer/direct: ${(S.pgbouncer.p95 / S.direct.p95).toFixed(2)}x`);
console.log(`throughput ratio org-routed/RLS-only (direct): ${(S.direct.tps / S['direct, RLS only'].tps).toFixed(2)}x`);
console.log(
  `throughput ratio prepared/unnamed: through PgBouncer ${(S['pgbouncer, prepared'].tps / S.pgbouncer.tps).toFixed(2)}x, direct ${(S['direct, prepared'].tps / S.direct.tps).toFixed(2)}x`,
);
console.log(`throughput ratio pgbouncer/direct, both prepared: ${(S['pgbouncer, prepared'].tps / S['direct, prepared'].tps).toFixed(2)}x`);

await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
await direct.end();
await db.drop();
// A run whose transactions failed measured nothing: say why and fail.
if (firstError !== undefined) {
  console.error(`\nbench:pgbouncer: transactions failed, first error: ${String((firstError as Error).message ?? firstError)}`);
  process.exitCode = 1;
}
