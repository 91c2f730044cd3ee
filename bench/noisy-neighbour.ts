import pg from 'pg';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN, createBenchDb } from './lib/db.js';
import { CpuAccount } from '../test/support/load/cpu.js';
import { table } from '../test/support/load/load.js';
import { Driver, parseArrivals, parsePolicies, type Route, type Sample, type Stream } from '../test/support/load/driver.js';
import { killAll, onSignal, parseWorkerSched, schedulingOf, startDeployment } from '../test/support/load/deployment.js';
import { parseWorkerCpus } from '../test/support/load/cpu-cap.js';
import { admittedPerWindow, latencyVerdict, perSecond, skipped, summarize, verdict, type Summary, type Verdict } from '../test/support/load/noisy-stats.js';
import { lineChart } from './lib/svg.js';
import { signDevToken } from '../src/tenancy/dev-token.js';

/**
 * npm run load:noisy — one tenant floods, another must not notice.
 *
 * Starts a real deployment on loopback (2 API processes and, once the ingest pipeline exists,
 * 2 worker processes) on its own database and Redis prefix. Phase "alone": the quiet org's steady
 * load. Phase "flood": the same quiet load while the noisy org sends 10x its quota on cheap, write
 * and costly routes across both instances, on top of an ingest backlog. Prints per org and phase
 * the figures and the verdicts; exits 1 when an applicable threshold fails, 2 when the harness
 * itself could not run. Bounded in time (LOAD_MAX_SECONDS) and requests (LOAD_MAX_REQUESTS).
 */

interface Profile {
  name: string;
  /** Unmeasured quiet and noisy traffic first: JIT, pools and caches of fresh processes. */
  warmupS: number;
  aloneS: number;
  floodS: number;
  quietCheapRps: number;
  quietWriteRps: number;
  quietCostlyRps: number;
  noisyLimit: number;
  windowS: number;
  floodFactor: number;
  backlog: number;
  p95Ratio: number;
  p99Ratio: number;
  slackMs: number;
  fairnessMs: number;
  drainS: number;
  maxSeconds: number;
  maxRequests: number;
  report: boolean;
}

const PROFILES: Record<string, Profile> = {
  full: {
    // 60 s each: 840 quiet samples per phase, so p95 rests on 42 answers and p99 on 9 (with 280,
    // the same machine's p99 alone ranged 36-56 ms from run to run). The backlog lasts the flood.
    name: 'full', warmupS: 5, aloneS: 60, floodS: 60, quietCheapRps: 10, quietWriteRps: 1, quietCostlyRps: 1,
    noisyLimit: 50, windowS: 10, floodFactor: 10, backlog: 3000,
    p95Ratio: 1.25, p99Ratio: 1.5, slackMs: 0, fairnessMs: 1000, drainS: 60, maxSeconds: 600, maxRequests: 20_000, report: true,
  },
  // The CI version: seconds, small numbers, loose latency bounds; the hard verdicts stay strict.
  ci: {
    name: 'ci', warmupS: 3, aloneS: 6, floodS: 16, quietCheapRps: 5, quietWriteRps: 1, quietCostlyRps: 1,
    noisyLimit: 16, windowS: 8, floodFactor: 10, backlog: 200,
    p95Ratio: 10, p99Ratio: 10, slackMs: 2500, fairnessMs: 5000, drainS: 30, maxSeconds: 240, maxRequests: 2_000, report: false,
  },
};

const num = (k: string, d: number) => (process.env[k] !== undefined && process.env[k] !== '' ? Number(process.env[k]) : d);
const base = PROFILES[process.env.LOAD_PROFILE ?? 'full'] ?? PROFILES.full;
const P: Profile = {
  ...base,
  warmupS: num('LOAD_WARMUP_S', base.warmupS),
  aloneS: num('LOAD_ALONE_S', base.aloneS),
  floodS: num('LOAD_FLOOD_S', base.floodS),
  quietCheapRps: num('LOAD_QUIET_RPS', base.quietCheapRps),
  noisyLimit: num('LOAD_NOISY_LIMIT', base.noisyLimit),
  windowS: num('LOAD_WINDOW_S', base.windowS),
  floodFactor: num('LOAD_FLOOD_FACTOR', base.floodFactor),
  backlog: num('LOAD_BACKLOG', base.backlog),
  p95Ratio: num('LOAD_P95_RATIO', base.p95Ratio),
  p99Ratio: num('LOAD_P99_RATIO', base.p99Ratio),
  slackMs: num('LOAD_SLACK_MS', base.slackMs),
  fairnessMs: num('LOAD_FAIRNESS_MS', base.fairnessMs),
  maxSeconds: num('LOAD_MAX_SECONDS', base.maxSeconds),
  maxRequests: num('LOAD_MAX_REQUESTS', base.maxRequests),
  report: process.env.LOAD_REPORT !== undefined ? process.env.LOAD_REPORT === '1' : base.report,
};

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const out: string[] = [];
const say = (s = '') => {
  out.push(s);
  console.log(s);
};

// The whole run is bounded: past LOAD_MAX_SECONDS the children are killed and the run fails.
const watchdog = setTimeout(() => {
  console.error(`load:noisy: still running after ${P.maxSeconds}s, giving up`);
  killAll();
  process.exit(2);
}, P.maxSeconds * 1000);
watchdog.unref();

const SECRET = `noisy-${randomBytes(16).toString('hex')}`;
const JWT = { JWT_SECRET: SECRET, JWT_ISSUER: 'rocker-load', JWT_AUDIENCE: 'rocker-api' };
const prefix = `noisy-${randomBytes(4).toString('hex')}`;
const load0 = loadavg();

// ---------------------------------------------------------------- routes
const threads: Route = { name: 'GET /v1/threads', method: 'GET', path: '/v1/threads?limit=20', kind: 'cheap' };
const knowledge = (org: string): Route => ({
  name: 'POST /v1/knowledge',
  method: 'POST',
  path: '/v1/knowledge',
  kind: 'write',
  body: (i) => ({ title: `${org} note ${i}`, text: `Note ${i} of ${org}: the harness checks that one tenant cannot slow another down. Fair queues keep small orgs moving.` }),
});
/** Costly routes of the other issues; each is used when it answers 2xx to a probe. */
const COSTLY: Route[] = [
  { name: 'POST /v1/embeddings', method: 'POST', path: '/v1/embeddings', kind: 'costly', body: () => ({ input: 'a quiet tenant asks a short question' }) },
  { name: 'POST /v1/search/private', method: 'POST', path: '/v1/search/private', kind: 'costly', body: () => ({ query: 'fair queues', k: 5 }) },
  { name: 'POST /v1/tts', method: 'POST', path: '/v1/tts', kind: 'costly', body: () => ({ text: 'Hello from the load test.' }) },
];

// ---------------------------------------------------------------- setup
let exitCode: number;
const db = await createBenchDb(`rocker_load_${randomBytes(4).toString('hex')}`);
const owner = new pg.Client({ connectionString: db.ownerUrl });
await owner.connect();
const asOrg = async <T>(org: string, fn: () => Promise<T>): Promise<T> => {
  await owner.query('BEGIN');
  try {
    await owner.query(`SELECT set_config('app.org_id', $1, true)`, [org]);
    const r = await fn();
    await owner.query('COMMIT');
    return r;
  } catch (e) {
    await owner.query('ROLLBACK');
    throw e;
  }
};
const mkOrg = async (slug: string) => {
  const org = (await owner.query(`INSERT INTO orgs (slug, name) VALUES ($1, $1) RETURNING id`, [slug])).rows[0].id as string;
  const user = (await owner.query(`INSERT INTO users (email) VALUES ($1) RETURNING id`, [`owner@${slug}.test`])).rows[0].id as string;
  await asOrg(org, async () => {
    await owner.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [org, user]);
    await owner.query(`INSERT INTO rocker_threads (org_id, title, created_by) SELECT $1, 'thread ' || g, $2 FROM generate_series(1, 200) g`, [org, user]);
  });
  return { org, user, token: await signDevToken(JWT, { sub: user, org_id: org }, 3 * 3600) };
};
const quiet = await mkOrg('quiet');
const noisy = await mkOrg('noisy');
const ops = await mkOrg('platform-ops');
await owner.query(`UPDATE users SET is_super_admin = true WHERE id = $1`, [ops.user]);

const env: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.LOAD_LOG_LEVEL ?? 'warn',
  DATABASE_URL: db.appUrl,
  DATABASE_WORKER_URL: db.workerUrl,
  TENANT_CONTEXT_KEYS: db.contextKeys,
  DATABASE_OWNER_URL: db.ownerUrl,
  DATABASE_POOL_SIZE: process.env.LOAD_POOL_SIZE ?? '8',
  REDIS_URL: process.env.LOAD_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  REDIS_PREFIX: prefix,
  METRICS_TOKEN: `m-${randomBytes(12).toString('hex')}`,
  // 4+ processes share 2 cores here: a Redis answer slowed by CPU starvation must not trip the
  // limiter into its per-instance fallback (whose windows are not Redis's), which is for outages.
  RATE_LIMIT_REDIS_TIMEOUT_MS: process.env.LOAD_REDIS_TIMEOUT_MS ?? '2000',
  // Every org may start this many ingest jobs per second (docs/ingest.md, "Per-org start rate"): the
  // noisy org's backlog then costs the shared database a bounded amount of work per second.
  // the product default (INGEST_ORG_RATE, 5 a second) unless LOAD_INGEST_RATE says otherwise
  ...(process.env.LOAD_INGEST_RATE ? { INGEST_ORG_RATE: process.env.LOAD_INGEST_RATE } : {}),
  ...JWT,
};

let deployment: Awaited<ReturnType<typeof startDeployment>> | undefined;
const workerSched = parseWorkerSched(process.env.LOAD_WORKER_SCHED);
const workerCpus = parseWorkerCpus(process.env.LOAD_WORKER_CPUS);
const arrivals = parseArrivals(process.env.LOAD_ARRIVALS);
const cleanup = async () => {
  await deployment?.stop().catch(() => undefined);
  await owner.end().catch(() => undefined);
  await db.drop().catch((e) => console.error('could not drop', db.name, String(e)));
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 })) if ((keys as string[]).length) await redis.del(...(keys as string[]));
  } catch {
    /* Redis keys of this run expire or stay under its unique prefix */
  } finally {
    redis.disconnect();
  }
};

onSignal(cleanup);

try {
  deployment = await startDeployment({
    apiScript: join(here, 'servers', 'full.js'),
    workerScript: join(root, 'dist', 'src', 'worker.js'),
    apis: 2,
    workers: 2,
    env,
    workerSched,
    workerCpus,
  });
  // As the OS reports it, not as asked: the run says what it measured.
  const workerScheduling = [...new Set(deployment.workerPids.map(schedulingOf))];
  const epoch = performance.now();
  const quietDriver = new Driver(deployment.apis, epoch, 64, arrivals);
  const noisyDriver = new Driver(deployment.apis, epoch, 64, arrivals);
  const adminDriver = new Driver(deployment.apis, epoch, 4);

  // ---------------------------------------------------------------- what exists
  const probe = await quietDriver.send(0, threads, quiet.token, 0, { org: 'quiet', phase: 'probe' });
  if (probe.status !== 200) throw new Error(`GET /v1/threads answered ${probe.status} to the quiet org`);
  const limiter = probe.policy !== undefined;
  const hasIngestTable = (await owner.query(`SELECT to_regclass('public.ingest_jobs') IS NOT NULL AS t`)).rows[0].t as boolean;
  const ingest = deployment.ingestUnavailable === null && hasIngestTable;
  const costly: { route: Route; policy: string }[] = [];
  const policies = new Set<string>(['api']);
  for (const r of COSTLY) {
    const s = await quietDriver.send(0, r, quiet.token, 0, { org: 'quiet', phase: 'probe' });
    if (s.status >= 200 && s.status < 300) {
      const ps = parsePolicies(s.policy);
      const own = ps.length ? ps[ps.length - 1].policy : 'api';
      ps.forEach((p) => policies.add(p.policy));
      costly.push({ route: r, policy: own });
    } else if (s.status !== 404) {
      console.error(`load:noisy: ${r.name} answered ${s.status} to the probe; left out (does its body need adjusting?)`);
    }
  }
  const kProbe = await quietDriver.send(0, knowledge('quiet'), quiet.token, 0, { org: 'quiet', phase: 'probe' });
  if (kProbe.status !== 201 && kProbe.status !== 200) throw new Error(`POST /v1/knowledge answered ${kProbe.status} to the quiet org`);
  parsePolicies(kProbe.policy).forEach((p) => policies.add(p.policy));

  const limitsBody = (limit: number, perPolicy: (p: string) => number) =>
    Object.fromEntries([...policies].map((p) => [p, { limit: perPolicy(p) || limit, window_s: P.windowS, ...(p === 'tts' ? { concurrency: 1000 } : {}) }]));
  const putLimits = async (org: string, body: unknown) => {
    const r: Route = { name: 'PUT limits', method: 'PUT', path: `/v1/admin/orgs/${org}/limits`, kind: 'cheap', body: () => body };
    return (await adminDriver.send(0, r, ops.token, 0, { org: 'ops', phase: 'admin' })).status;
  };
  // Both orgs start generous (the backlog is sent at full speed); the noisy org is lowered before the flood.
  const generous = limitsBody(1_000_000, () => 0);
  const adminStatus = limiter ? await putLimits(quiet.org, generous) : 404;
  const adminLimits = adminStatus === 200;
  if (limiter && !adminLimits) console.error(`load:noisy: PUT /v1/admin/orgs/:orgId/limits answered ${adminStatus}; noisy quota cannot be set`);
  if (adminLimits) {
    const st = await putLimits(noisy.org, generous);
    if (st !== 200) throw new Error(`PUT limits for the noisy org answered ${st}`);
  }
  const costlyLimit = Math.max(1, Math.floor((P.noisyLimit * 0.3) / Math.max(1, costly.length)));
  // Embed jobs take their inputs from the `embeddings` bucket too (docs/limits.md): the noisy org's
  // gets room for its backlog at its job start rate (one input per item) besides the flood's share,
  // so its backlog keeps running through the flood as the scenario intends.
  const backlogInputs = ingest ? Number(env.INGEST_ORG_RATE ?? 5) * P.windowS : 0;
  const noisyPolicyLimit = (p: string) =>
    p === 'api' ? P.noisyLimit : p === 'embeddings' ? costlyLimit + backlogInputs : costlyLimit;

  say(`load:noisy  profile=${P.name}  ${cpus().length} cores, load average ${load0.map((l) => l.toFixed(1)).join(' ')} at start`);
  say(`deployment: ${deployment.apis.length} API processes (${deployment.apis.join(', ')}), ${deployment.workers} worker processes (scheduled: ${workerScheduling.join(', ') || 'n/a'}${workerSched === 'embed-nice' ? '; embedding thread nice 19' : ''}), Redis prefix ${prefix}, database ${db.name}`);
  const cap = deployment.workerCpuCap;
  say(`worker CPU limit: ${workerCpus === null ? 'none' : cap?.path ? `${workerCpus} core(s) for both workers (cgroup ${cap.path}), like a worker pod's CPU limit` : `not set (${cap?.reason ?? 'no workers'})`}`);
  say(`limiter: ${limiter ? `yes (${probe.policy})` : 'limiter not available'}; admin limits route: ${adminLimits ? 'yes' : 'no'}; ingest: ${ingest ? 'yes' : `ingest not available: queue-wait verdict skipped (${deployment.ingestUnavailable ?? 'no ingest_jobs table'})`}`);
  say(`costly routes: ${costly.length ? costly.map((c) => `${c.route.name} [${c.policy}]`).join(', ') : 'none yet'}`);
  say(`arrivals: ${arrivals === 'poisson' ? 'poisson (random instants, seeded per stream)' : 'uniform (every 1/rate s, streams in lock-step)'}`);
  say(`ingest start rate per org: ${env.INGEST_ORG_RATE === undefined ? 'the default (INGEST_ORG_RATE)' : env.INGEST_ORG_RATE === '0' ? 'unlimited' : `${env.INGEST_ORG_RATE} jobs/s`} (LOAD_INGEST_RATE)`);
  say(`noisy quota: api ${P.noisyLimit} per ${P.windowS}s${costly.length ? `, each costly policy ${costlyLimit} per ${P.windowS}s${backlogInputs ? ` (embeddings ${costlyLimit + backlogInputs}: its backlog's embed jobs take from it too)` : ''}` : ''}${adminLimits ? '' : ' (nominal: not enforced)'}; flood at ${P.floodFactor}x`);

  // ---------------------------------------------------------------- phases
  const phases: { name: string; from: number; to: number; wallFrom: Date; wallTo: Date }[] = [];
  const quietStreams = (phase: string, durationMs: number): Stream[] => [
    { org: 'quiet', phase, route: threads, rate: P.quietCheapRps, durationMs, maxRequests: P.maxRequests, token: quiet.token },
    { org: 'quiet', phase, route: knowledge('quiet'), rate: P.quietWriteRps, durationMs, maxRequests: P.maxRequests, token: quiet.token },
    ...costly.map((c) => ({ org: 'quiet', phase, route: c.route, rate: P.quietCostlyRps, durationMs, maxRequests: P.maxRequests, token: quiet.token })),
  ];
  const runAll = async (driver: Driver, streams: Stream[]) => {
    const rs = await Promise.all(streams.map((s) => driver.run(s)));
    return { samples: rs.flatMap((r) => r.samples), dropped: rs.reduce((n, r) => n + r.dropped, 0) };
  };
  const cpuAccount = new CpuAccount(ADMIN, db.name, deployment.apiPids, deployment.workerPids);
  const cpu: Record<string, Record<string, number>> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const cpuFrom = await cpuAccount.snapshot();
    const from = quietDriver.now();
    const wallFrom = new Date();
    const r = await fn();
    phases.push({ name, from, to: quietDriver.now(), wallFrom, wallTo: new Date() });
    cpu[name] = CpuAccount.between(cpuFrom, await cpuAccount.snapshot());
    return r;
  };

  say(`\nwarm-up: ${P.warmupS}s of quiet load and a little noisy load, not measured`);
  await Promise.all([
    runAll(quietDriver, quietStreams('warmup', P.warmupS * 1000)),
    noisyDriver.run({ org: 'noisy', phase: 'warmup', route: threads, rate: 2, durationMs: P.warmupS * 1000, maxRequests: 100, token: noisy.token }),
  ]);

  say(`phase alone: quiet org only, ${P.aloneS}s`);
  const alone = await phase('alone', () => runAll(quietDriver, quietStreams('alone', P.aloneS * 1000)));

  let backlog: Sample[] = [];
  if (ingest && P.backlog > 0) {
    say(`backlog: noisy org posts ${P.backlog} knowledge items (embed jobs), 16 at a time across both instances`);
    backlog = await phase('backlog', () => noisyDriver.burst(knowledge('noisy'), noisy.token, P.backlog, 16, { org: 'noisy', phase: 'backlog' }));
  }
  if (adminLimits) {
    const st = await putLimits(noisy.org, limitsBody(P.noisyLimit, noisyPolicyLimit));
    if (st !== 200) throw new Error(`PUT limits (low) for the noisy org answered ${st}`);
    // The backlog's window (generous limit) must expire first, so the flood meets fresh windows.
    await new Promise((r) => setTimeout(r, P.windowS * 1000 + 500));
  }

  const floodMs = P.floodS * 1000;
  const apiRate = (P.floodFactor * P.noisyLimit) / P.windowS;
  const costlyRate = (P.floodFactor * costlyLimit) / P.windowS;
  const writeRate = apiRate * 0.1;
  const cheapRate = Math.max(1, apiRate - writeRate - costly.length * costlyRate);
  const noisyStreams: Stream[] = [
    { org: 'noisy', phase: 'flood', route: threads, rate: cheapRate, durationMs: floodMs, maxRequests: P.maxRequests, token: noisy.token, maxInFlight: 512 },
    { org: 'noisy', phase: 'flood', route: knowledge('noisy'), rate: writeRate, durationMs: floodMs, maxRequests: P.maxRequests, token: noisy.token, maxInFlight: 512 },
    ...costly.map((c) => ({ org: 'noisy', phase: 'flood', route: c.route, rate: costlyRate, durationMs: floodMs, maxRequests: P.maxRequests, token: noisy.token, maxInFlight: 512 })),
  ];
  say(`phase flood: quiet load as above while the noisy org sends ${apiRate.toFixed(0)} req/s (${P.floodFactor}x its api quota) for ${P.floodS}s`);
  const [floodQuiet, floodNoisy] = await phase('flood', () =>
    Promise.all([runAll(quietDriver, quietStreams('flood', floodMs)), runAll(noisyDriver, noisyStreams)]),
  );

  // ---------------------------------------------------------------- queue waits
  const waits = async (org: string, from: Date, to: Date) => {
    const rows = (
      await asOrg(org, () =>
        owner.query(
          `SELECT extract(epoch FROM (coalesce(started_at, clock_timestamp()) - queued_at)) * 1000 AS ms, started_at IS NOT NULL AS started
             FROM ingest_jobs WHERE org_id = $3 AND queued_at >= $1 AND queued_at < $2`,
          // org_id explicitly too: the owner role may be a member of a role whose policies see every org
          [from, to, org],
        ),
      )
    ).rows as { ms: string; started: boolean }[];
    return { jobs: rows.length, started: rows.filter((r) => r.started).length, ms: rows.map((r) => Number(r.ms)) };
  };
  const pAlone = phases.find((p) => p.name === 'alone')!;
  const pFlood = phases.find((p) => p.name === 'flood')!;
  const pBacklog = phases.find((p) => p.name === 'backlog');
  let qw: Record<string, Awaited<ReturnType<typeof waits>>> = {};
  if (ingest) {
    // Bounded wait for the quiet org's flood-phase jobs to start (the ones still waiting count as waiting until now).
    const deadline = Date.now() + P.drainS * 1000;
    for (;;) {
      const w = await waits(quiet.org, pFlood.wallFrom, pFlood.wallTo);
      if (w.started === w.jobs || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    qw = {
      'quiet alone': await waits(quiet.org, pAlone.wallFrom, pAlone.wallTo),
      'quiet flood': await waits(quiet.org, pFlood.wallFrom, pFlood.wallTo),
      'noisy backlog+flood': await waits(noisy.org, (pBacklog ?? pFlood).wallFrom, pFlood.wallTo),
    };
  }
  const p95 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.ceil(0.95 * xs.length) - 1] : NaN);

  // ---------------------------------------------------------------- figures
  const rows: Record<string, string | number>[] = [];
  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const row = (org: string, ph: string, route: string, s: Summary, wait?: string) =>
    rows.push({
      org, phase: ph, route, requests: s.requests, 'p50 ms': fmt(s.p50), 'p95 ms': fmt(s.p95), 'p99 ms': fmt(s.p99),
      '2xx': s.ok2xx, '429s': s.limited429, '5xx': s.server5xx, 'other 4xx': s.other4xx, 'err/drop': `${s.errors}/${s.dropped}`,
      'queue wait p95': wait ?? '',
    });
  const waitCell = (k: string) => {
    const w = qw[k];
    if (!w) return ingest ? '' : 'n/a';
    return w.jobs ? `${w.started < w.jobs ? '>=' : ''}${fmt(p95(w.ms))} ms (${w.started}/${w.jobs} started)` : 'no jobs';
  };
  const byRoute = (samples: Sample[]) => [...new Set(samples.map((s) => s.route))];
  const sAlone = summarize(alone.samples, alone.dropped);
  const sFloodQ = summarize(floodQuiet.samples, floodQuiet.dropped);
  const sFloodN = summarize(floodNoisy.samples, floodNoisy.dropped);
  row('quiet', 'alone', 'all', sAlone, waitCell('quiet alone'));
  for (const r of byRoute(alone.samples)) row('', '', r, summarize(alone.samples.filter((s) => s.route === r)));
  row('quiet', 'flood', 'all', sFloodQ, waitCell('quiet flood'));
  for (const r of byRoute(floodQuiet.samples)) row('', '', r, summarize(floodQuiet.samples.filter((s) => s.route === r)));
  if (backlog.length) row('noisy', 'backlog', 'POST /v1/knowledge', summarize(backlog));
  row('noisy', 'flood', 'all', sFloodN, waitCell('noisy backlog+flood'));
  for (const r of byRoute(floodNoisy.samples)) row('', '', r, summarize(floodNoisy.samples.filter((s) => s.route === r)));
  say('');
  say(table(rows));

  // ---------------------------------------------------------------- verdicts
  const verdicts: Verdict[] = [];
  verdicts.push(latencyVerdict('quiet p95 with flood <= ' + P.p95Ratio + 'x alone', sAlone.p95, sFloodQ.p95, P.p95Ratio, P.slackMs));
  verdicts.push(latencyVerdict('quiet p99 with flood <= ' + P.p99Ratio + 'x alone', sAlone.p99, sFloodQ.p99, P.p99Ratio, P.slackMs * 2));
  const q429 = sAlone.limited429 + sFloodQ.limited429;
  const q5xx = sAlone.server5xx + sFloodQ.server5xx + sAlone.errors + sFloodQ.errors;
  verdicts.push(verdict('quiet sees zero 429', q429 === 0, `${q429} answers 429`));
  verdicts.push(verdict('quiet sees zero 5xx', q5xx === 0, `${sAlone.server5xx + sFloodQ.server5xx} answers 5xx, ${sAlone.errors + sFloodQ.errors} transport errors/timeouts`));
  const qOther = sAlone.other4xx + sFloodQ.other4xx;
  verdicts.push(verdict('quiet requests all answered 2xx', qOther === 0 && sAlone.dropped + sFloodQ.dropped === 0, `${qOther} other 4xx, ${sAlone.dropped + sFloodQ.dropped} not sent (load generator saturated)`));
  verdicts.push(verdict('noisy sees no 5xx', sFloodN.server5xx + sFloodN.errors === 0, `${sFloodN.server5xx} answers 5xx, ${sFloodN.errors} transport errors/timeouts`));
  const windowsOut: Record<string, unknown> = {};
  if (!limiter) {
    verdicts.push(skipped('noisy gets 429 beyond its quota', 'limiter not available'));
    verdicts.push(skipped('noisy admitted in any window <= burst + refill (both instances)', 'limiter not available'));
  } else if (!adminLimits) {
    verdicts.push(skipped('noisy gets 429 beyond its quota', 'admin limits route not available: the noisy quota could not be set'));
    verdicts.push(skipped('noisy admitted in any window <= burst + refill (both instances)', 'admin limits route not available'));
  } else {
    const windowsSpanned = Math.ceil(P.floodS / P.windowS) + 1;
    verdicts.push(
      verdict('noisy gets 429 beyond its quota', sFloodN.limited429 > 0 && sFloodN.ok2xx <= P.noisyLimit * windowsSpanned,
        `${sFloodN.limited429} answers 429, ${sFloodN.ok2xx} admitted (at most ${P.noisyLimit} x ${windowsSpanned} windows)`),
    );
    const checks: { policy: string; samples: Sample[]; limit: number }[] = [{ policy: 'api', samples: floodNoisy.samples, limit: P.noisyLimit }];
    for (const c of costly)
      if (c.policy !== 'api')
        checks.push({ policy: c.policy, samples: floodNoisy.samples.filter((s) => s.route === c.route.name), limit: noisyPolicyLimit(c.policy) });
    for (const c of checks) {
      const { windows, withoutHeader } = admittedPerWindow(c.samples, c.policy, P.windowS);
      windowsOut[c.policy] = Math.max(0, ...windows.map((w) => w.admitted));
      const max = Math.max(0, ...windows.map((w) => w.admitted));
      // a token bucket admits at most burst (= the limit by default) + one window's refill in any window
      verdicts.push(
        verdict(`noisy admitted in any ${c.policy} window <= ${2 * c.limit} (burst + refill, both instances)`, max <= 2 * c.limit && withoutHeader === 0,
          `most admitted in one window: ${max}${withoutHeader ? `; ${withoutHeader} 2xx without a RateLimit header` : ''}`),
      );
    }
  }
  if (!ingest) {
    verdicts.push(skipped('quiet ingest jobs start within the fairness bound', `ingest not available: queue-wait verdict skipped (${deployment.ingestUnavailable ?? 'no ingest_jobs table'})`));
  } else {
    const w = qw['quiet flood'];
    const wp = p95(w.ms);
    verdicts.push(
      verdict(`quiet ingest jobs start within ${P.fairnessMs} ms (p95) under the noisy backlog`, w.jobs > 0 && w.started === w.jobs && wp <= P.fairnessMs,
        `${w.started}/${w.jobs} started, queue wait p95 ${fmt(wp)} ms (alone: ${fmt(p95(qw['quiet alone'].ms))} ms); noisy: ${qw['noisy backlog+flood'].started}/${qw['noisy backlog+flood'].jobs} started`),
    );
  }
  // Where the CPU went (seconds, out of cores × phase length): who pays for the flood.
  const groups = [...new Set(Object.values(cpu).flatMap((g) => Object.keys(g)))].sort();
  const cpuRows = phases.map((p) => ({
    phase: p.name,
    'available s': ((availableParallelism() * (p.to - p.from)) / 1000).toFixed(0),
    ...Object.fromEntries(groups.map((g) => [g, (cpu[p.name]?.[g] ?? 0).toFixed(1)])),
  }));
  say('\nCPU seconds per phase (from /proc; postgres backends grouped by application_name)');
  say(table(cpuRows));
  const throttled = cap?.path ? cap.throttled() : null;
  if (throttled) say(`worker CPU limit: held back in ${throttled.periods} periods, ${throttled.seconds.toFixed(1)} s in all`);

  // What any 5xx said (the counts above do not tell a 503 from a 500), at most ten of them.
  const fivexx = [...alone.samples, ...backlog, ...floodQuiet.samples, ...floodNoisy.samples].filter((s) => s.status >= 500);
  if (fivexx.length) {
    say(`\n5xx answers (${fivexx.length}${fivexx.length > 10 ? ', the first 10' : ''})`);
    for (const s of fivexx.slice(0, 10)) say(`  ${s.org} ${s.phase} ${s.route}: ${s.status} ${s.problem ?? ''}`);
  }

  say('\nverdicts');
  say(table(verdicts.map((v) => ({ verdict: v.status.toUpperCase(), check: v.name, detail: v.detail }))));
  const failed = verdicts.filter((v) => v.status === 'fail');
  const load1 = loadavg();
  say(`\nload average ${load1.map((l) => l.toFixed(1)).join(' ')} at the end (the box is shared: timing figures are noisy)`);
  say(failed.length ? `FAIL: ${failed.length} threshold(s) failed` : 'PASS: every applicable threshold holds');
  exitCode = failed.length ? 1 : 0;

  // ---------------------------------------------------------------- charts and report
  const all = [...alone.samples, ...backlog, ...floodQuiet.samples, ...floodNoisy.samples];
  const t0 = pAlone.from;
  const tEnd = pFlood.to;
  const secs = (ss: Sample[]) => perSecond(ss, t0, tEnd);
  const quietSec = secs(all.filter((s) => s.org === 'quiet'));
  const noisySec = secs(all.filter((s) => s.org === 'noisy' && s.phase === 'flood'));
  const pts = (b: ReturnType<typeof secs>, k: 'p50' | 'p95' | 'ok' | 'limited') =>
    b.filter((x) => (k === 'p50' || k === 'p95' ? Number.isFinite(x[k]) : x.ok + x.limited + x.failed > 0 || (x.second >= (pFlood.from - t0) / 1000 && x.second < (pFlood.to - t0) / 1000)))
      .map((x) => [x.second + 0.5, Number.isFinite(x[k]) ? x[k] : 0] as [number, number]);
  const bands = phases.map((p) => ({ x0: (p.from - t0) / 1000, x1: (p.to - t0) / 1000, label: p.name, color: p.name === 'alone' ? '#dbeafe' : p.name === 'flood' ? '#fee2e2' : '#fef3c7' }));
  const latencySvg = lineChart({
    title: 'Latency per second by org (all routes)',
    xLabel: 'seconds since the start of phase "alone"',
    yLabel: 'latency (ms)',
    bands,
    series: [
      { name: 'quiet p95', color: '#1d4ed8', points: pts(quietSec, 'p95') },
      { name: 'quiet p50', color: '#60a5fa', points: pts(quietSec, 'p50'), dashed: true },
      { name: 'noisy p95', color: '#dc2626', points: pts(noisySec, 'p95') },
    ],
  });
  const admittedSvg = lineChart({
    title: 'Admitted vs limited per second',
    xLabel: 'seconds since the start of phase "alone"',
    yLabel: 'requests per second',
    bands,
    series: [
      { name: 'noisy admitted (2xx)', color: '#16a34a', points: pts(noisySec, 'ok') },
      { name: 'noisy limited (429)', color: '#dc2626', points: pts(noisySec, 'limited') },
      { name: 'quiet admitted (2xx)', color: '#1d4ed8', points: pts(quietSec, 'ok') },
      { name: 'noisy api quota (per s)', color: '#6b7280', dashed: true, points: adminLimits ? [[(pFlood.from - t0) / 1000, P.noisyLimit / P.windowS], [(pFlood.to - t0) / 1000, P.noisyLimit / P.windowS]] : [] },
    ],
  });

  const result = {
    profile: P,
    deployment: { apis: deployment.apis.length, workers: deployment.workers, workerSched, workerScheduling, workerCpus, workerCpuCap: cap ? { path: cap.path, reason: cap.reason, throttled } : null, arrivals, limiter, adminLimits, ingest, ingestUnavailable: deployment.ingestUnavailable, costly: costly.map((c) => c.route.name) },
    summaries: { quietAlone: sAlone, quietFlood: sFloodQ, noisyFlood: sFloodN, noisyBacklog: backlog.length ? summarize(backlog) : null },
    queueWaitP95: Object.fromEntries(Object.entries(qw).map(([k, w]) => [k, { p95: p95(w.ms), jobs: w.jobs, started: w.started }])),
    windows: windowsOut,
    cpuSeconds: cpu,
    verdicts,
    passed: failed.length === 0,
  };
  if (process.env.LOAD_JSON) writeFileSync(process.env.LOAD_JSON, JSON.stringify(result, null, 2));
  if (P.report) {
    const perf = join(root, 'docs', 'perf');
    mkdirSync(perf, { recursive: true });
    writeFileSync(join(perf, 'noisy-latency.svg'), latencySvg);
    writeFileSync(join(perf, 'noisy-admitted.svg'), admittedSvg);
    writeReport(join(root, 'docs', 'performance.md'), out.join('\n'));
    console.log(`\nreport: docs/performance.md, charts: docs/perf/noisy-latency.svg, docs/perf/noisy-admitted.svg`);
  }
  await Promise.all([quietDriver.close(), noisyDriver.close(), adminDriver.close()]);
} catch (e) {
  console.error('load:noisy could not run:', e instanceof Error ? e.message : e);
  exitCode = 2;
} finally {
  await cleanup();
}
process.exit(exitCode);

/** Rewrites only the harness's part of docs/performance.md; the rest (other benchmarks) is left as it is. */
function writeReport(path: string, output: string): void {
  const BEGIN = '<!-- load:noisy begin (written by npm run load:noisy) -->';
  const END = '<!-- load:noisy end -->';
  const section = [
    BEGIN,
    `Last run: ${new Date().toISOString()} (profile \`${P.name}\`, ${cpus().length} cores). The machine was shared with other`,
    'jobs while this ran: the timing figures carry that noise; the status counts do not.',
    '',
    '```text',
    output,
    '```',
    '',
    '![Latency per second by org](perf/noisy-latency.svg)',
    '',
    '![Admitted vs limited per second](perf/noisy-admitted.svg)',
    END,
  ].join('\n');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const i = current.indexOf(BEGIN);
  const j = current.indexOf(END);
  if (i >= 0 && j > i) writeFileSync(path, current.slice(0, i) + section + current.slice(j + END.length));
  else writeFileSync(path, `${current}${current ? '\n' : ''}## Noisy-neighbour run\n\n${section}\n`);
}
