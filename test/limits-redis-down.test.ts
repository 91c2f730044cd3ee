import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { rateLimitFallback } from '../src/common/metrics/metrics.js';
import { UsageService } from '../src/modules/limits/usage.service.js';

async function until<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** This test's OWN redis-server (never the shared one), started and stopped as a child process. */
function startRedis(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out.slice(-300)}`)));
  });
}

const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

const fallbackValue = async () => (await rateLimitFallback.get()).values[0]?.value;

describe('Redis unreachable: per-instance fallback at limit / instances', () => {
  let db: TestDb;
  let t: TestApp;
  let redis: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, {
        REDIS_URL: `redis://127.0.0.1:${port}/0`,
        RATE_LIMIT_INSTANCES: '2',
        RATE_LIMIT_DEFAULTS: JSON.stringify({ embeddings: { limit: 10, window_s: 60 } }),
        USAGE_FLUSH_MS: '3600000',
      }),
      { extraModules: [LimitsTestModule] },
    );
  });

  afterAll(async () => {
    await t?.close();
    if (redis) await stopRedis(redis);
    await db?.drop();
  });

  it('keeps limiting (never unlimited, never a 500) while Redis is down, and recovers', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    const embed = (who: typeof A) =>
      request(t.url)
        .post('/v1/test-limits/embed')
        .set('Authorization', `Bearer ${who.tokens.member}`)
        .send({ input: 'x' });

    const up = await embed(A).expect(201);
    expect(up.headers['ratelimit-policy']).toContain('"embeddings";q=10;w=60');
    expect(await fallbackValue()).toBe(0);

    await stopRedis(redis);
    const statuses: number[] = [];
    let lastRefused: request.Response | undefined;
    for (let i = 0; i < 8; i++) {
      const r = await embed(B);
      statuses.push(r.status);
      if (r.status === 429) lastRefused = r;
    }
    // 10 per window shared by 2 instances: this one allows 5.
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    expect(lastRefused!.body.type).toMatch(/rate-limited$/);
    expect(Number(lastRefused!.headers['retry-after'])).toBeGreaterThan(0);
    expect(lastRefused!.headers['ratelimit-policy']).toContain('"embeddings";q=5;w=60');
    expect(await fallbackValue()).toBe(1);
    // Other tenant routes keep working under the (fallback) api policy, and limits stay readable.
    await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    await request(t.url).get('/v1/org/limits').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    // Usage admitted meanwhile is kept in memory and flushed straight to Postgres.
    await t.app.get(UsageService).flush();
    const usage = await request(t.url)
      .get('/v1/org/usage')
      .set('Authorization', `Bearer ${B.tokens.viewer}`)
      .expect(200);
    expect(usage.body.totals.embedding_inputs).toBe(5);

    redis = await startRedis(port);
    await until(async () => (await embed(A)).status === 201 && (await fallbackValue()) === 0);
    const back = await embed(A).expect(201);
    expect(back.headers['ratelimit-policy']).toContain('"embeddings";q=10;w=60');
  });

  it('a Redis that hangs (SIGSTOP) also falls back within the timeout instead of stalling requests', async () => {
    const C = await orgWithRoles(db.owner);
    const embed = () =>
      request(t.url)
        .post('/v1/test-limits/embed')
        .set('Authorization', `Bearer ${C.tokens.member}`)
        .send({ input: 'x' });
    await until(async () => (await embed()).status === 201 && (await fallbackValue()) === 0);
    redis.kill('SIGSTOP');
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await embed()).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
      expect(await fallbackValue()).toBe(1);
    } finally {
      redis.kill('SIGCONT');
    }
    await until(async () => (await embed()).status !== 500 && (await fallbackValue()) === 0);
  });
});
