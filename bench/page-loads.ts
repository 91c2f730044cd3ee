import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { killAll, onSignal } from '../test/support/load/deployment.js';
import { table } from '../test/support/load/load.js';
import { dropRedisPrefix, startService, type Service } from '../test/support/load/fair-share.js';
import { createBenchDb, serviceEnv } from './lib/db.js';
import { benchOrgs, type BenchOrgs } from './lib/orgs.js';

/**
 * npm run bench:page-loads — what admission's turns cost a large org that is not hurting anyone.
 * One all-in-one process, shipped defaults. A large org loads pages: PAGE_GETS parallel
 * `GET /v1/threads?limit=20` every PAGE_EVERY_MS (a dashboard's fetches), its page-load time being
 * from the first request sent to the last answer. After a warm-up, BENCH_ROUNDS rounds of two
 * phases of PHASE_MS each: the large org alone, then the large org while a small org sends one
 * `GET /v1/org` every TRICKLE_MS (it only has to be active for the large one to count as over its
 * share).
 * Goal: the large org's page load beside the trickle within 1.25× of alone at p50 and 1.5× at p95
 * (the instance is nowhere near saturated, so nothing justifies holding it back). Exits 0 when
 * met, 1 when not, 2 when the harness could not run.
 */

const GOAL = { p50: 1.25, p95: 1.5 };
const PAGE_GETS = Number(process.env.PAGE_GETS ?? 8);
const PAGE_EVERY_MS = Number(process.env.PAGE_EVERY_MS ?? 100);
const TRICKLE_MS = Number(process.env.TRICKLE_MS ?? 500);
const PHASE_MS = Number(process.env.PHASE_MS ?? 8000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const here = dirname(fileURLToPath(import.meta.url));

const watchdog = setTimeout(() => {
  console.error('bench:page-loads: still running after 300 s, giving up');
  killAll();
  process.exit(2);
}, 300_000);
watchdog.unref();

const SECRET = `pages-${randomBytes(16).toString('hex')}`;
const JWT = { JWT_SECRET: SECRET, JWT_ISSUER: 'rocker-bench', JWT_AUDIENCE: 'rocker-api' };
const prefix = `pages-${randomBytes(4).toString('hex')}`;
const db = await createBenchDb(`rocker_pages_${randomBytes(4).toString('hex')}`);
const env = serviceEnv(db, prefix, JWT);

let service: Service | undefined;
let orgs: BenchOrgs | undefined;
let pool: Pool | undefined;
const cleanup = async () => {
  await pool?.destroy().catch(() => undefined);
  await service?.stop().catch(() => undefined);
  await orgs?.close();
  await db.drop().catch((e) => console.error('could not drop', db.name, String(e)));
  await dropRedisPrefix(env.REDIS_URL, prefix);
};
onSignal(cleanup);

const pct = (xs: number[], p: number) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.max(0, Math.ceil(p * s.length) - 1)] : NaN;
};

async function get(http: Pool, path: string, token: string): Promise<number> {
  const res = await http.request({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
  await res.body.dump();
  return res.statusCode;
}

/** Page loads of `token`'s org for PHASE_MS; with `trickle`, the small org's reads meanwhile. */
async function phase(http: Pool, large: string, small: string | undefined) {
  const pages: number[] = [];
  const statuses: Record<string, number> = {};
  const count = (s: number) => void (statuses[s] = (statuses[s] ?? 0) + 1);
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  let stop = false;
  const trickle = (async () => {
    // the small org's own reads: one at a time, on a timer, never measured
    while (small && !stop) {
      await get(http, '/v1/org', small).then(count, () => count(0));
      await new Promise((r) => setTimeout(r, TRICKLE_MS));
    }
  })();
  for (let i = 0; performance.now() - t0 < PHASE_MS; i++) {
    inFlight.push(
      (async () => {
        const start = performance.now();
        const answers = await Promise.all(
          Array.from({ length: PAGE_GETS }, () => get(http, '/v1/threads?limit=20', large).catch(() => 0)),
        );
        answers.forEach(count);
        pages.push(performance.now() - start);
      })(),
    );
    const next = t0 + (i + 1) * PAGE_EVERY_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await Promise.all(inFlight);
  stop = true;
  await trickle;
  return { pages, statuses };
}

let exitCode = 2;
try {
  orgs = await benchOrgs(db.ownerUrl, JWT);
  const large = await orgs.make('large');
  const small = await orgs.make('small');
  service = await startService(join(here, '..', 'test', 'support', 'servers', 'all-in-one.js'), env);
  pool = new Pool(service.url, { connections: PAGE_GETS * 4 });
  console.log(
    `bench:page-loads  ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; one all-in-one process at the shipped defaults`,
  );
  console.log(
    `large org: ${PAGE_GETS} parallel GET /v1/threads?limit=20 every ${PAGE_EVERY_MS} ms; small org: one GET /v1/org every ${TRICKLE_MS} ms in the "beside" phases; ${ROUNDS} rounds of ${PHASE_MS / 1000} s phases`,
  );
  await phase(pool, large.token, undefined); // warm-up
  const alone: number[] = [];
  const beside: number[] = [];
  const rows: Record<string, string | number>[] = [];
  const statuses: Record<string, number> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const withSmall of [false, true]) {
      // the small org counts as active for 2 s after its last request: let that pass first
      await new Promise((res) => setTimeout(res, 2500));
      const p = await phase(pool, large.token, withSmall ? small.token : undefined);
      (withSmall ? beside : alone).push(...p.pages);
      for (const [k, v] of Object.entries(p.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
      rows.push({
        round: r + 1,
        phase: withSmall ? 'beside the small org' : 'alone',
        pages: p.pages.length,
        'page load p50 ms': pct(p.pages, 0.5).toFixed(1),
        'p95 ms': pct(p.pages, 0.95).toFixed(1),
      });
    }
  }
  console.log('');
  console.log(table(rows));
  const ratio = pct(beside, 0.95) / pct(alone, 0.95);
  const ratio50 = pct(beside, 0.5) / pct(alone, 0.5);
  console.log(`\nanswers: ${JSON.stringify(statuses)}`);
  console.log(
    `large org's page load beside the small org / alone: p50 ${ratio50.toFixed(2)}x, p95 ${ratio.toFixed(2)}x (goal p50 <= ${GOAL.p50}, p95 <= ${GOAL.p95})`,
  );
  const non2xx = Object.entries(statuses).filter(([k]) => !k.startsWith('2'));
  exitCode = ratio50 <= GOAL.p50 && ratio <= GOAL.p95 && !non2xx.length ? 0 : 1;
  console.log(exitCode ? 'GOAL NOT MET' : 'GOAL MET');
} catch (e) {
  console.error('bench:page-loads could not run:', e instanceof Error ? e.message : e);
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
process.exit(exitCode);
