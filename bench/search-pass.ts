/**
 * npm run bench:search-pass [-- --chunks 60000 --workers default,0 --rounds 2 --alone-s 10 --concurrency 2]
 *
 * What the per-org index pass costs the other orgs: while the pass builds the largest org's graph
 * (the costliest thing one org's size can make the platform do), a second org searches through
 * match_private_chunks as the app role, as the service does. For each build setting
 * (`--workers`: max_parallel_maintenance_workers of the build, `default` = the server's own), the
 * second org's p50/p95 alone (the same run, just before) and during the build, their ratio, and
 * how long the build took. Settings alternate over `--rounds`.
 *
 * Runs on the corpus `npm run bench:search -- --chunks N --keep` leaves (database
 * rocker_bench_search_N); exits 2 when it is missing. The largest org's per-org indexes are
 * dropped before each build and rebuilt by the pass at the service's defaults.
 */
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { cpus, loadavg } from 'node:os';
import { withAdmin } from './lib/db.js';
import { beginBenchTenant, installBenchKeys } from './lib/context.js';
import { existingOrgIndexes, maintainOrgIndexesAt, orgIndexName, type OrgIndexPass } from '../src/modules/search/org-indexes.js';
import { EnvDto } from '../src/config/env.js';

const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';
const url = (db: string, role: string, pw = role === 'postgres' ? '' : `:${role}`) => `postgres://${role}${pw}@${PG_HOST}/${db}`;
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const CHUNKS = Number(arg('chunks') ?? 60_000);
const ROUNDS = Number(arg('rounds') ?? 2);
const ALONE_MS = Number(arg('alone-s') ?? 10) * 1000;
const CONC = Number(arg('concurrency') ?? 2);
const SETTINGS = (arg('workers') ?? 'default,0').split(',').map((w) => (w === 'default' ? undefined : Number(w)));
const DB = `rocker_bench_search_${CHUNKS}`;
const K = 10;
const defaults = new EnvDto();

interface Probe {
  lat: number[];
  stop(): Promise<void>;
}

/** The second org searching, CONC at a time, until stopped: one query vector after another. */
function probe(pool: pg.Pool, org: string, vecs: string[]): Probe {
  const lat: number[] = [];
  let running = true;
  let next = 0;
  const lanes = Array.from({ length: CONC }, async () => {
    const c = await pool.connect();
    try {
      while (running) {
        const vec = vecs[next++ % vecs.length];
        const t = performance.now();
        await c.query('BEGIN');
        await beginBenchTenant(c, org);
        await c.query(`SELECT id FROM match_private_chunks($1, $2::vector, ${K})`, [org, vec]);
        await c.query('COMMIT');
        lat.push(performance.now() - t);
      }
    } finally {
      c.release();
    }
  });
  return {
    lat,
    stop: async () => {
      running = false;
      await Promise.all(lanes);
    },
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const exists = await withAdmin(async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB])).rowCount);
  if (!exists) {
    console.error(`no database ${DB}: run npm run bench:search -- --chunks ${CHUNKS} --keep first`);
    process.exit(2);
  }
  const owner = url(DB, 'rocker_owner');
  await installBenchKeys(owner);
  const su = new pg.Client({ connectionString: url(DB, 'postgres') });
  await su.connect();
  const large = (await su.query(`SELECT id, size FROM bench_orgs WHERE n = 1`)).rows[0] as { id: string; size: number };
  // The second org: the largest one under the per-org threshold, searched by exact scan or the shared graph.
  const second = (
    await su.query(`SELECT id, size FROM bench_orgs WHERE size < $1 ORDER BY size DESC LIMIT 1`, [defaults.SEARCH_ORG_INDEX_MIN_CHUNKS])
  ).rows[0] as { id: string; size: number };
  await su.query(`SELECT setseed(0.23)`);
  const vecs = (await su.query(`SELECT bench_vec((random() * 1e12)::bigint)::text AS v FROM generate_series(1, 200)`)).rows.map(
    (r) => r.v as string,
  );
  await su.end();

  const pool = new pg.Pool({ connectionString: url(DB, 'rocker_app'), max: CONC });
  const ownerClient = new pg.Client({ connectionString: owner });
  await ownerClient.connect();
  // what a build gets unless the pass sets it: the owner role's session default (a per-role setting shows here)
  const serverWorkers = (await ownerClient.query(`SHOW max_parallel_maintenance_workers`)).rows[0].max_parallel_maintenance_workers as string;
  const dropLarge = async () => {
    for (const kind of ['half', 'bits'] as const)
      await ownerClient.query(`DROP INDEX CONCURRENTLY IF EXISTS public.${pg.escapeIdentifier(orgIndexName(large.id, kind))}`);
  };
  // warm the second org's path (plans, caches) before anything is measured
  {
    const warm = probe(pool, second.id, vecs);
    await new Promise((r) => setTimeout(r, 2000)).then(() => warm.stop());
  }
  console.log(
    `\nbench:search-pass  ${CHUNKS} chunks; the pass builds org 1's graph (${large.size} chunks) while org 2 (${second.size} chunks) ` +
      `searches ${CONC} at a time; ${cpus().length} cores, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}\n`,
  );
  const rows: string[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const workers of SETTINGS) {
      await dropLarge();
      const alone = probe(pool, second.id, vecs);
      await new Promise((r) => setTimeout(r, ALONE_MS));
      await alone.stop();
      const during = probe(pool, second.id, vecs);
      const t0 = performance.now();
      let pass: OrgIndexPass;
      try {
        pass = await maintainOrgIndexesAt(
          owner,
          {
            minChunks: defaults.SEARCH_ORG_INDEX_MIN_CHUNKS,
            bitsMinChunks: defaults.SEARCH_ORG_INDEX_BITS_MIN_CHUNKS,
            maxIndexes: defaults.SEARCH_ORG_INDEX_MAX,
            buildMemMb: defaults.SEARCH_ORG_INDEX_BUILD_MEM_MB,
            recallTarget: defaults.SEARCH_ORG_INDEX_RECALL,
            samples: defaults.SEARCH_ORG_INDEX_SAMPLES,
            buildWorkers: workers,
          },
          undefined,
          (c, orgId) => beginBenchTenant(c, orgId),
        );
      } finally {
        await during.stop();
      }
      const passS = (performance.now() - t0) / 1000;
      const built = pass.created.find((x) => x.name.endsWith(large.id.replaceAll('-', '')));
      const [a50, a95, d50, d95] = [pct(alone.lat, 0.5), pct(alone.lat, 0.95), pct(during.lat, 0.5), pct(during.lat, 0.95)];
      rows.push([
        workers === undefined ? `default (${serverWorkers})` : String(workers),
        built ? (built.ms / 1000).toFixed(1) : '-',
        passS.toFixed(1),
        `${a50.toFixed(1)} / ${a95.toFixed(1)} (n=${alone.lat.length})`,
        `${d50.toFixed(1)} / ${d95.toFixed(1)} (n=${during.lat.length})`,
        `${(d50 / a50).toFixed(2)}x / ${(d95 / a95).toFixed(2)}x`,
      ]);
    }
  }
  const header = ['build workers', 'build s', 'pass s', 'org 2 alone p50/p95 ms', 'during p50/p95 ms', 'ratio p50/p95'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const left = (await existingOrgIndexes(ownerClient)).length;
  console.log(`\nper-org indexes after the last pass: ${left}`);
  await ownerClient.end();
  await pool.end();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
