import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Redis } from 'ioredis';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { rateLimitFallback } from '../src/common/metrics/metrics.js';
import { UsageService } from '../src/modules/limits/usage.service.js';
import { RateLimitStorage } from '../src/modules/limits/rate-limit.storage.js';
import { until } from './support/wait.js';
import { OwnRedis } from './support/redis-server.js';

const fallbackValue = async () => (await rateLimitFallback.get()).values[0]?.value;

describe('Redis unreachable: per-instance fallback at limit / live instances', () => {
  let db: TestDb;
  let one: TestApp;
  let two: TestApp;
  let redis: OwnRedis;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    db = await createTestDb();
    // Two instances sharing one Redis prefix, like two replicas; nothing tells them how many they are.
    const env = envFor(db.appUrl, db.ownerUrl, {
      REDIS_URL: redis.url,
      RATE_LIMIT_DEFAULTS: JSON.stringify({ embeddings: { limit: 10, window_s: 60 } }),
      USAGE_FLUSH_MS: '3600000',
    });
    [one, two] = await Promise.all([
      startApp(env, { imports: [LimitsTestModule] }),
      startApp(env, { imports: [LimitsTestModule] }),
    ]);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await redis?.stop();
    await db?.drop();
  });

  const embed = (app: TestApp, who: { tokens: { member: string } }) =>
    request(app.url)
      .post('/v1/test-limits/embed')
      .set('Authorization', `Bearer ${who.tokens.member}`)
      .send({ input: 'x' });
  const instancesSeen = () => [one, two].map((a) => a.app.get(RateLimitStorage).instances);

  it('keeps limiting at limit / live instances (never unlimited, never a 500) while Redis is down, and recovers', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    // Each instance learns from the heartbeats that there are two of them.
    await until(async () => instancesSeen().every((n) => n === 2));
    const up = await embed(one, A).expect(201);
    expect(up.headers['ratelimit-policy']).toContain('"embeddings";q=10;w=60');
    expect(await fallbackValue()).toBe(0);

    await redis.stop();
    const run = async (app: TestApp) => {
      const statuses: number[] = [];
      let lastRefused: request.Response | undefined;
      for (let i = 0; i < 8; i++) {
        const r = await embed(app, B);
        statuses.push(r.status);
        if (r.status === 429) lastRefused = r;
      }
      return { statuses, lastRefused };
    };
    // 10 per window over 2 live instances: each allows 5, so the fleet stays at the limit.
    for (const app of [one, two]) {
      const { statuses, lastRefused } = await run(app);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
      expect(lastRefused!.body.type).toMatch(/rate-limited$/);
      expect(Number(lastRefused!.headers['retry-after'])).toBeGreaterThan(0);
      expect(lastRefused!.headers['ratelimit-policy']).toContain('"embeddings";q=5;w=60');
    }
    expect(await fallbackValue()).toBe(1);
    // Other tenant routes keep working under the (fallback) api policy, and limits stay readable.
    await request(one.url).get('/v1/threads').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    await request(two.url)
      .get('/v1/org/limits')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .expect(200);
    // Usage admitted meanwhile is kept in memory and flushed straight to Postgres.
    await one.app.get(UsageService).flush();
    await two.app.get(UsageService).flush();
    const usage = await request(one.url)
      .get('/v1/org/usage')
      .set('Authorization', `Bearer ${B.tokens.viewer}`)
      .expect(200);
    expect(usage.body.totals.embedding_inputs).toBe(10);

    await redis.start();
    for (const app of [one, two])
      await until(async () => (await embed(app, A)).status === 201 && (await fallbackValue()) === 0);
    const back = await embed(one, A).expect(201);
    expect(back.headers['ratelimit-policy']).toContain('"embeddings";q=10;w=60');
  });

  it('a Redis that hangs (SIGSTOP) also falls back within the timeout instead of stalling or over-admitting', async () => {
    const C = await orgWithRoles(db.owner);
    await until(async () => (await embed(one, C)).status === 201 && (await fallbackValue()) === 0);
    await until(async () => instancesSeen().every((n) => n === 2));
    redis.pause();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await embed(one, C)).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
      expect(await fallbackValue()).toBe(1);
    } finally {
      redis.resume();
    }
    await until(async () => (await embed(one, C)).status !== 500 && (await fallbackValue()) === 0);
  });
});

describe('monthly quotas are durable: a Redis FLUSHALL loses at most the last flush interval', () => {
  let db: TestDb;
  let t: TestApp;
  let redis: OwnRedis;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { REDIS_URL: redis.url, USAGE_FLUSH_MS: '300' }),
      { imports: [LimitsTestModule] },
    );
  });

  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('after usage is flushed, FLUSHALL: the counter is re-seeded from Postgres, so the quota still holds', async () => {
    const A = await orgWithRoles(db.owner);
    const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    await request(t.url)
      .put(`/v1/admin/orgs/${A.org.id}/limits`)
      .set('Authorization', `Bearer ${root}`)
      .send({ quotas: { embedding_inputs: 5 } })
      .expect(200);
    const embed = () =>
      request(t.url)
        .post('/v1/test-limits/embed')
        .set('Authorization', `Bearer ${A.tokens.member}`)
        .send({ input: 'x' });
    for (let i = 0; i < 3; i++) await embed().expect(201);
    // The flush interval passes: the 3 units are in usage_daily.
    const flushed = async () => {
      const r = await asOrg(db.owner, A.org.id, (c) =>
        c.query<{ n: string }>(`SELECT coalesce(sum(amount), 0) AS n FROM usage_daily WHERE org_id = $1`, [
          A.org.id,
        ]),
      );
      return Number(r.rows[0].n);
    };
    await until(async () => (await flushed()) === 3);

    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
    } finally {
      admin.disconnect();
    }
    // 2 more fit in the quota of 5, the next is refused: the lost counter was re-seeded at 3, not 0.
    await embed().expect(201);
    await embed().expect(201);
    const over = await embed();
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ unit: 'embedding_inputs', quota: 5, used: 5 });
    expect(over.body.type).toMatch(/quota-exceeded$/);
    await until(async () => (await flushed()) === 5);
  });
});
