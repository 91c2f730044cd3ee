import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchDb, serviceEnv } from './lib/db.js';
import { benchOrgs, type BenchOrgs } from './lib/orgs.js';
import { killAll, onSignal } from '../test/support/load/deployment.js';
import { table } from '../test/support/load/load.js';
import {
  BENCH_SCALE,
  FLOOR_ROWS,
  dropRedisPrefix,
  ratio,
  ROW_TITLES,
  Row,
  runRow,
  settle,
  startService,
  warmUp,
  type FairShareCtx,
  type Latencies,
  type RowResult,
  type Service,
} from '../test/support/load/fair-share.js';
import { signDevToken } from '../src/tenancy/dev-token.js';

/**
 * npm run bench:fair-share — issue 15's table, measured: one all-in-one service process (API and
 * ingest workers, as `npm start` runs it) on its own database and Redis prefix; for each abuse
 * class, the quiet org's GET /v1/org (and, for OCR and PDF, its own small upload of that kind)
 * alone and then during the abuse, in the same run, as p50/p95 and the p95 ratio; and what the
 * noisy side got. Goal: every p95 ratio <= 1.5. Exits 0 when the goal holds, 1 when it does not,
 * 2 when the harness could not run. FAIR_MAX_SECONDS bounds the run (default 1500).
 */

const GOAL = 1.5;
const here = dirname(fileURLToPath(import.meta.url));
const maxSeconds = Number(process.env.FAIR_MAX_SECONDS ?? 1500);
// FAIR_SUSTAIN_MS=0 sends each abuse once (as the serial suite does).
if (process.env.FAIR_SUSTAIN_MS !== undefined) BENCH_SCALE.sustainMs = Number(process.env.FAIR_SUSTAIN_MS);
// row (a2) at a larger scale: how many requests its member sends at once (default 15)
if (process.env.FAIR_A2_REQUESTS !== undefined)
  BENCH_SCALE.marketOrgLimit.requests = Number(process.env.FAIR_A2_REQUESTS);
const started = Date.now();
// Between rows, the jobs a row queued are cancelled and its running ones awaited (at most this
// long), so that no row's work runs into the next row's quiet "alone" phase.
const SETTLE_MS = Number(process.env.FAIR_SETTLE_MS ?? 60_000);
// Rows that queue little background work first; the large uploads (whose embed jobs may outlive
// their row) last.
const ORDER: Row[] = [
  Row.MarketNoOrg,
  Row.JsonDepth,
  Row.ThreadsFlood,
  Row.PostFlood,
  Row.Ocr,
  Row.OcrTwoOrgs,
  Row.Pdf,
  Row.PdfBombs,
  Row.LargeItemReads,
  Row.ThreadPages,
  Row.LargeBodies,
  Row.LongEmbeddings,
  Row.TtsStreams,
  Row.HybridText,
  Row.Publishes,
  // twelve documents of 500 pages: their embed jobs outlive the row
  Row.PdfTwoOrgs,
  Row.PdfSlowPages,
  Row.HtmlUpload,
  Row.HtmlTwoOrgs,
  Row.MarketOrgLimit,
  // calibration: what CPU the service cannot schedule costs the quiet org on this machine
  Row.FloorNone,
  Row.FloorPostgres,
  Row.FloorNiced,
  Row.FloorIdle,
];
const only = process.env.FAIR_ROWS ? new Set(process.env.FAIR_ROWS.split(',')) : null;
const unknown = [...(only ?? [])].filter((r) => !ORDER.includes(r as Row));
if (unknown.length) {
  console.error(`bench:fair-share: unknown FAIR_ROWS ${unknown.join(', ')}; rows: ${ORDER.join(', ')}`);
  process.exit(2);
}

const watchdog = setTimeout(() => {
  console.error(`bench:fair-share: still running after ${maxSeconds}s, giving up`);
  killAll();
  // its database and Redis keys go too (cleanup is defined below, before this can fire)
  void cleanup()
    .catch(() => undefined)
    .finally(() => process.exit(2));
}, maxSeconds * 1000);
watchdog.unref();

const SECRET = `fair-${randomBytes(16).toString('hex')}`;
const JWT = { JWT_SECRET: SECRET, JWT_ISSUER: 'rocker-bench', JWT_AUDIENCE: 'rocker-api' };
const prefix = `fair-${randomBytes(4).toString('hex')}`;
const UPLOAD_MAX_BYTES = 10 * 1024 * 1024;
const BODY_LIMIT_BYTES = 1024 * 1024;
const load0 = loadavg();

const db = await createBenchDb(`rocker_fair_${randomBytes(4).toString('hex')}`);
const env = serviceEnv(db, prefix, JWT, {
  LOG_LEVEL: process.env.FAIR_LOG_LEVEL ?? 'error',
  UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
  BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
});

let service: Service | undefined;
let fixtures: BenchOrgs | undefined;
const cleanup = async () => {
  await service?.stop().catch(() => undefined);
  await fixtures?.close();
  await db.drop().catch((e) => console.error('could not drop', db.name, String(e)));
  await dropRedisPrefix(env.REDIS_URL, prefix);
};
onSignal(cleanup);

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');
const lat = (l: Latencies | undefined) =>
  l
    ? `${fmt(l.p50)} / ${fmt(l.p95)}${
        l.failed
          ? ` (${l.failed} of ${l.n} not 2xx: ${Object.entries(l.failures)
              .map(([k, v]) => `${v} × ${k}`)
              .join(', ')})`
          : ` (n=${l.n})`
      }`
    : '';

let exitCode: number;
try {
  fixtures = await benchOrgs(db.ownerUrl, JWT);
  const quiet = await fixtures.make('quiet');
  const noisy = await fixtures.make('noisy');
  const noisy2 = await fixtures.make('noisy-two');
  const orphanId = await fixtures.user('nobody@no-org.test');
  const memberId = await fixtures.user('member@noisy.test');
  await fixtures.asOrg(noisy.org, (c) =>
    c.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'member')`, [
      noisy.org,
      memberId,
    ]),
  );
  const adminId = await fixtures.user('ops@platform.test', true);
  const ctxBase = {
    quiet: { org: quiet.org, token: quiet.token },
    noisy: { org: noisy.org, token: noisy.token },
    noisy2: { org: noisy2.org, token: noisy2.token },
    orphan: { org: '', token: await signDevToken(JWT, { sub: orphanId }, 3600) },
    noisyNoClaim: { org: noisy.org, token: await signDevToken(JWT, { sub: memberId }, 3600) },
    admin: { org: '', token: await signDevToken(JWT, { sub: adminId }, 3600) },
    uploadMaxBytes: UPLOAD_MAX_BYTES,
    bodyLimitBytes: BODY_LIMIT_BYTES,
    ownerUrl: db.ownerUrl,
    metricsToken: env.METRICS_TOKEN,
  };

  const t0 = Date.now();
  service = await startService(join(here, '..', 'test', 'support', 'servers', 'all-in-one.js'), env);
  const ctx: FairShareCtx = { url: service.url, ...ctxBase };
  console.log(
    `bench:fair-share  ${cpus().length} cores, load average ${load0.map((l) => l.toFixed(1)).join(' ')} at start (the box is shared: timings are noisy)`,
  );
  console.log(
    `one all-in-one process (API + ingest workers, ROCKER_ROLE=all) at ${service.url}, pid ${service.pid}, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; database ${db.name}, Redis prefix ${prefix}`,
  );
  console.log(
    `quiet org measured on GET /v1/org at ${BENCH_SCALE.cheapRps} req/s (${BENCH_SCALE.aloneMs / 1000} s alone, then for as long as the abuse lasts, at most ${BENCH_SCALE.maxDuringMs / 1000} s)`,
  );
  await warmUp(ctx);
  await settle(ctx, SETTLE_MS);

  const results: RowResult[] = [];
  for (const row of ORDER) {
    if (only && !only.has(row)) continue;
    const r = await runRow(ctx, row, BENCH_SCALE, { log: console.log });
    results.push(r);
    const settling = Date.now();
    const left = await settle(ctx, SETTLE_MS);
    const settledS = (Date.now() - settling) / 1000;
    console.log(
      `    done in ${(r.abuseMs / 1000).toFixed(1)} s; noisy: ${JSON.stringify(r.statuses)}${settledS >= 1 ? `; its ingest jobs settled in ${settledS.toFixed(1)} s` : ''}${r.unlimited2xx ? ` (${r.unlimited2xx} 2xx without a RateLimit-Policy header: never limited)` : ''}${left ? `; ${left} ingest job(s) still running or queued after ${SETTLE_MS / 1000} s (they run into the next row)` : ''}`,
    );
  }

  const rows: Record<string, string | number>[] = [];
  const ratios: { row: Row; what: string; r: number }[] = [];
  for (const r of results) {
    const cheap = ratio(r.cheapDuring, r.cheapAlone);
    ratios.push({ row: r.row, what: 'GET /v1/org', r: cheap });
    rows.push({
      'abuse class': ROW_TITLES[r.row],
      'quiet measured': 'GET /v1/org',
      'alone p50/p95 ms': lat(r.cheapAlone),
      'during p50/p95 ms': lat(r.cheapDuring),
      'p95 ratio': fmtRatio(cheap),
      'noisy 2xx/429/4xx/5xx/err': `${r.noisy.ok2xx}/${r.noisy.limited429}/${r.noisy.other4xx}/${r.noisy.server5xx}/${r.noisy.errors}${r.noisy.notSent ? ` (+${r.noisy.notSent} not sent)` : ''}`,
      'full GCs during (pauses ms)': r.majorGc ? `${r.majorGc.count} (${r.majorGc.pauseMs.toFixed(0)})` : '-',
    });
    if (r.uploadAlone && r.uploadDuring) {
      const up = ratio(r.uploadDuring, r.uploadAlone);
      const what = r.uploadWhat!;
      ratios.push({ row: r.row, what, r: up });
      rows.push({
        'abuse class': '',
        'quiet measured': what,
        'alone p50/p95 ms': lat(r.uploadAlone),
        'during p50/p95 ms': lat(r.uploadDuring),
        'p95 ratio': fmtRatio(up),
        'noisy 2xx/429/4xx/5xx/err': '',
        'full GCs during (pauses ms)': '',
      });
    }
  }
  console.log('');
  console.log(table(rows));
  console.log('\nwhat the noisy side sent');
  for (const r of results) console.log(`  ${ROW_TITLES[r.row]}: ${r.abuse}`);
  const quietFailed = results.reduce(
    (n, r) =>
      n +
      r.cheapAlone.failed +
      r.cheapDuring.failed +
      (r.uploadAlone?.failed ?? 0) +
      (r.uploadDuring?.failed ?? 0),
    0,
  );
  const over = ratios.filter((x) => !FLOOR_ROWS.includes(x.row) && !(x.r <= GOAL));
  console.log(
    `\nload average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  );
  console.log(
    `quiet requests not answered 2xx: ${quietFailed}; the run took ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(
    over.length || quietFailed
      ? `GOAL NOT MET: every p95 ratio <= ${GOAL}; over it: ${over.map((x) => `${x.row} ${x.what} ${fmtRatio(x.r)}`).join(', ') || 'none'}${quietFailed ? `; ${quietFailed} quiet requests not 2xx` : ''}`
      : `GOAL MET: every p95 ratio <= ${GOAL}`,
  );
  if (process.env.FAIR_JSON)
    writeFileSync(process.env.FAIR_JSON, JSON.stringify({ scale: BENCH_SCALE, results }, null, 2));
  exitCode = over.length || quietFailed ? 1 : 0;
} catch (e) {
  console.error('bench:fair-share could not run:', e instanceof Error ? e.message : e);
  exitCode = 2;
} finally {
  // The watchdog bounds the measuring; the cleanup is bounded on its own (stop: SIGKILL after 10 s).
  clearTimeout(watchdog);
  await cleanup();
}
process.exit(exitCode);
