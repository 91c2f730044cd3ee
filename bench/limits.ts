// npm run bench:limits — the limiter's cost and TTS time-to-first-audio, measured side by side.
// 1. The same cheap tenant route (GET /v1/org) on two API processes on one database and Redis:
//    one with the limiter (api policy, one Redis round trip per request), one with
//    RATE_LIMIT_ENABLED=false. Rounds alternate A/B; prints the throughput ratio and added p50/p99.
// 2. POST /v1/tts with a 1,000-character text: time to first audio bytes vs full synthesis (p50/p95).
// Uses its own throwaway database (cloned roles from setup) and its own Redis key prefix.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import autocannon from 'autocannon';
import { createDataSource } from '../src/database/data-source.js';
import { signDevToken } from '../src/tenancy/dev-token.js';
import { loadEnv } from '../src/config/env.js';
import { cpuMs } from './lib/proc.js';
import { BENCH_CONTEXT_KEYS, installBenchKeys } from './lib/context.js';
import { serverNodeArgs } from '../test/support/load/load.js';
import { dropRedisPrefix } from '../test/support/load/fair-share.js';
import { slicesOf } from '../src/config/slices.js';
import { RateLimitStorage } from '../src/modules/limits/rate-limit.storage.js';
import { UsageUnit } from '../src/modules/limits/limits.types.js';
import { RatePlan } from '../src/modules/limits/rate-decision.js';
import { RatePolicy } from '../src/common/decorators/rate-limit.decorator.js';
import { Redis } from 'ioredis';

const PG_HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';
const ADMIN_URL = process.env.PG_ADMIN_URL ?? `postgres://postgres@${PG_HOST}/postgres`;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const TTS_RUNS = Number(process.env.BENCH_TTS_RUNS ?? 15);

const db = `rocker_bench_${randomBytes(4).toString('hex')}`;
const url = (role: string) => `postgres://${role}:${role}@${PG_HOST}/${db}`;
const env = {
  NODE_ENV: 'development',
  DATABASE_URL: url('rocker_app'),
  DATABASE_WORKER_URL: url('rocker_worker'),
  TENANT_CONTEXT_KEYS: BENCH_CONTEXT_KEYS,
  DATABASE_OWNER_URL: url('rocker_owner'),
  REDIS_URL,
  REDIS_PREFIX: `bench${randomBytes(3).toString('hex')}`,
  JWT_SECRET: randomBytes(24).toString('hex'),
  JWT_ISSUER: 'rocker-bench',
  JWT_AUDIENCE: 'rocker-api',
  METRICS_TOKEN: randomBytes(12).toString('hex'),
  LOG_LEVEL: 'silent',
  // Ceilings far above the load, so every request pays for a full decision and none is refused.
  RATE_LIMIT_DEFAULTS: JSON.stringify({
    api: { limit: 1_000_000_000, window_s: 60 },
    tts: { limit: 1_000_000, window_s: 60, concurrency: 100 },
  }),
};

async function createDb(): Promise<{ orgId: string; userId: string }> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db} OWNER rocker_owner`);
  await admin.end();
  const ds = createDataSource({ url: url('rocker_owner'), poolSize: 1 });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  await installBenchKeys(url('rocker_owner'));
  const owner = new pg.Client({ connectionString: url('rocker_owner') });
  await owner.connect();
  const orgId = (await owner.query(`INSERT INTO orgs (slug, name) VALUES ('bench', 'bench') RETURNING id`))
    .rows[0].id;
  const userId = (await owner.query(`INSERT INTO users (email) VALUES ('bench@bench.test') RETURNING id`))
    .rows[0].id;
  await owner.query('BEGIN');
  await owner.query(`SELECT set_config('app.org_id', $1, true)`, [orgId]);
  await owner.query(`INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [
    orgId,
    userId,
  ]);
  await owner.query('COMMIT');
  await owner.end();
  return { orgId, userId };
}

async function dropDb(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await admin.end();
}

function startServer(extra: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const script = fileURLToPath(new URL('./limits-server.js', import.meta.url));
  const child = spawn(process.execPath, [...serverNodeArgs(), script], {
    env: { ...process.env, ...env, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`bench server exited ${code}`)));
  });
}

const stop = (c: ChildProcess) =>
  new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM'))));

/** Redis's own CPU time so far (used_cpu_user + used_cpu_sys, ms), from INFO. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** Script calls Redis has run so far (EVALSHA and EVAL, from INFO commandstats). */
async function redisScriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

/**
 * One load run against a server: throughput, latency, and the CPU each request cost the server
 * process and Redis (from /proc and INFO; unlike throughput, CPU per request barely moves when
 * other work shares the machine).
 */
async function load(server: { child: ChildProcess; url: string }, token: string, seconds: number, redis: Redis) {
  const [cpu0, redis0, calls0] = [cpuMs(server.child.pid!), await redisCpuMs(redis), await redisScriptCalls(redis)];
  const r = await autocannon({
    url: `${server.url}/v1/org`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  const [cpu1, redis1, calls1] = [cpuMs(server.child.pid!), await redisCpuMs(redis), await redisScriptCalls(redis)];
  if (r.non2xx || r.errors)
    throw new Error(`bench: ${r.non2xx} non-2xx, ${r.errors} errors against ${server.url}`);
  const n = r.requests.total;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, serverCpu: (cpu1 - cpu0) / n, redisCpu: (redis1 - redis0) / n, scripts: (calls1 - calls0) / n };
}

function ttsOnce(
  target: string,
  token: string,
  text: string,
): Promise<{ first: number; full: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ text });
    const t0 = process.hrtime.bigint();
    let first = 0;
    let bytes = 0;
    const req = http.request(`${target}/v1/tts`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`tts ${res.statusCode}`));
      res.on('data', (c: Buffer) => {
        if (!first) first = Number(process.hrtime.bigint() - t0) / 1e6;
        bytes += c.length;
      });
      res.on('end', () => resolve({ first, full: Number(process.hrtime.bigint() - t0) / 1e6, bytes }));
    });
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const signed = (x: number) => `${x < 0 ? '-' : '+'}${Math.abs(x).toFixed(3)}`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The limiter's own cost without HTTP noise: one decision (2 checks + metering) vs a bare PING. */
async function decisionCost(): Promise<void> {
  const redis = new Redis(REDIS_URL, { enableOfflineQueue: true });
  const { limits, redis: redisConfig } = slicesOf(loadEnv({ ...env, RATE_LIMIT_REDIS_TIMEOUT_MS: '5000' }, '/nonexistent'));
  const storage = new RateLimitStorage(redis, limits, redisConfig);
  const n = 5000;
  const time = async (fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return xs;
  };
  const org = 'bench-org';
  const plan = () => {
    const p = new RatePlan(org, RatePolicy.Embeddings, 3);
    for (const [policy, cost] of [[RatePolicy.Api, 1], [RatePolicy.Embeddings, 3]] as const)
      p.rates.push({ policy, key: storage.bucketKey(org, policy), cost, limit: 1e9, windowS: 60, burst: 1e9, dryRun: false });
    p.metering = {
      orgId: org,
      key: storage.pendingKey(org),
      entries: [[`${new Date().toISOString().slice(0, 10)}|${UsageUnit.EmbeddingInputs}`, 3]],
    };
    return p;
  };
  await time(() => redis.ping()); // warm-up
  const ping = await time(() => redis.ping());
  const decide = await time(() => storage.decide(plan()));
  await storage.drain(org);
  await redis.del(...plan().rates.map((c) => c.key));
  redis.disconnect();
  console.log(
    `\n# one limiter decision (2 buckets + usage metering, one EVALSHA) vs a bare Redis PING, ${n} sequential each`,
  );
  console.log('| | p50 ms | p99 ms |\n|---|---|---|');
  console.log(`| PING | ${pct(ping, 50).toFixed(3)} | ${pct(ping, 99).toFixed(3)} |`);
  console.log(`| decide | ${pct(decide, 50).toFixed(3)} | ${pct(decide, 99).toFixed(3)} |`);
}

async function main(): Promise<void> {
  const { orgId, userId } = await createDb();
  const servers: ChildProcess[] = [];
  try {
    const token = await signDevToken(env, { sub: userId, org_id: orgId }, 3600);
    const withLimiter = await startServer({ RATE_LIMIT_ENABLED: 'true' });
    const without = await startServer({ RATE_LIMIT_ENABLED: 'false' });
    servers.push(withLimiter.child, without.child);

    console.log(
      `# bench:limits — GET /v1/org, ${CONNECTIONS} connections, ${ROUNDS}×${DURATION}s per side, alternating`,
    );
    const redis = new Redis(REDIS_URL);
    await load(withLimiter, token, 2, redis); // warm-up (JIT, pools, limits cache)
    await load(without, token, 2, redis);
    const A: Awaited<ReturnType<typeof load>>[] = [];
    const B: Awaited<ReturnType<typeof load>>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      B.push(await load(without, token, DURATION, redis));
      A.push(await load(withLimiter, token, DURATION, redis));
    }
    redis.disconnect();
    const avg = (xs: typeof A) => ({
      rps: mean(xs.map((x) => x.rps)),
      p50: mean(xs.map((x) => x.p50)),
      p99: mean(xs.map((x) => x.p99)),
      serverCpu: mean(xs.map((x) => x.serverCpu)),
      redisCpu: mean(xs.map((x) => x.redisCpu)),
      scripts: mean(xs.map((x) => x.scripts)),
    });
    const [a, b] = [avg(A), avg(B)];
    const row = (name: string, v: typeof a) =>
      `| ${name} | ${v.rps.toFixed(0)} | ${v.p50.toFixed(2)} | ${v.p99.toFixed(2)} | ${v.serverCpu.toFixed(3)} | ${v.redisCpu.toFixed(3)} | ${v.scripts.toFixed(2)} |`;
    console.log(
      '| variant | req/s | p50 ms | p99 ms | server CPU ms/req | Redis CPU ms/req | Redis script calls/req |\n|---|---|---|---|---|---|---|',
    );
    console.log(row('without limiter', b));
    console.log(row('with limiter', a));
    console.log(`throughput ratio (with / without): ${(a.rps / b.rps).toFixed(3)}  (goal ≥ 0.9)`);
    console.log(
      `added latency: p50 ${(a.p50 - b.p50).toFixed(2)} ms, p99 ${(a.p99 - b.p99).toFixed(2)} ms  (goal p99 ≤ 1 ms)`,
    );
    console.log(
      `the limiter's CPU per request: server ${signed(a.serverCpu - b.serverCpu)} ms (${(a.serverCpu / b.serverCpu).toFixed(2)}x), Redis ${signed(a.redisCpu - b.redisCpu)} ms`,
    );

    await decisionCost();

    const sentence = 'The quick brown fox jumps over the lazy dog near the quiet river bank. ';
    const text = sentence.repeat(Math.ceil(1000 / sentence.length)).slice(0, 1000);
    await ttsOnce(withLimiter.url, token, 'Warm up.');
    const runs: { first: number; full: number; bytes: number }[] = [];
    for (let i = 0; i < TTS_RUNS; i++) runs.push(await ttsOnce(withLimiter.url, token, text));
    const f50 = pct(
      runs.map((r) => r.first),
      50,
    );
    const f95 = pct(
      runs.map((r) => r.first),
      95,
    );
    const full50 = pct(
      runs.map((r) => r.full),
      50,
    );
    const full95 = pct(
      runs.map((r) => r.full),
      95,
    );
    console.log(
      `\n# TTS (espeak-ng), 1,000 characters, ${TTS_RUNS} sequential runs, ~${(runs[0].bytes / 44100).toFixed(0)} s of audio each`,
    );
    console.log('| | p50 ms | p95 ms |\n|---|---|---|');
    console.log(`| time to first audio | ${f50.toFixed(1)} | ${f95.toFixed(1)} |`);
    console.log(`| full synthesis (last byte) | ${full50.toFixed(1)} | ${full95.toFixed(1)} |`);
    console.log(`first audio / full (p50): ${((f50 / full50) * 100).toFixed(1)}%  (goal < 10%)`);
  } finally {
    await Promise.all(servers.map(stop));
    await dropDb();
    await dropRedisPrefix(REDIS_URL, env.REDIS_PREFIX); // the servers' queue metadata and buckets
  }
}

await main();
