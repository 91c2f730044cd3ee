import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Redis } from 'ioredis';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { countByStatus, createSimTable, insertJobs } from './support/ingest.js';
import { OwnRedis, type OwnRedisOptions } from './support/redis-server.js';
import { selfSignedCert, type TestCert } from './support/tls.js';
import { until } from './support/wait.js';
import { withSimHandlers } from './support/sim-handlers.js';
import { RateLimitStorage } from '../src/modules/limits/rate-limit.storage.js';
import { LimitsCache } from '../src/modules/limits/limits.cache.js';
import { FlagsCache } from '../src/modules/flags/flags.cache.js';

/**
 * One Redis server (no cluster) that requires AUTH: with a password over plain TCP, and as an ACL
 * user over TLS (rediss://, a private CA in REDIS_TLS_CA_FILE). Every use of Redis works through it:
 * health, the limiter (decided in Redis, not on the fallback), both cache subscriptions, the queues.
 */
const cases: { name: string; server: (cert: TestCert) => OwnRedisOptions; tls: boolean }[] = [
  { name: 'password (requirepass), redis://', server: () => ({ password: 'p@ss word' }), tls: false },
  { name: 'ACL user over TLS, rediss://', server: (cert) => ({ password: 'admin-pw', aclUser: { name: 'rocker', password: 'rocker-pw' }, tls: cert }), tls: true },
];

describe.each(cases)('one Redis with AUTH: $name', ({ server, tls }) => {
  let cert: TestCert;
  let redis: OwnRedis;
  let db: TestDb;
  let app: TestApp;

  beforeAll(async () => {
    cert = selfSignedCert();
    redis = await OwnRedis.start(server(cert));
    db = await createTestDb();
    await createSimTable(db.owner);
    const env = envFor(db.appUrl, db.ownerUrl, {
      REDIS_URL: redis.url,
      ...(tls ? { REDIS_TLS_CA_FILE: cert.caFile } : {}),
      RATE_LIMIT_DEFAULTS: JSON.stringify({ embeddings: { limit: 3, window_s: 60 } }),
      INGEST_DISPATCH_INTERVAL_MS: '200',
      // This suite is about reaching Redis, not its latency: a slow TLS round trip on a loaded
      // machine must not count as Redis down (the limiter would then decide on its fallback).
      RATE_LIMIT_REDIS_TIMEOUT_MS: '2000',
    });
    app = await startApp(env, { imports: [LimitsTestModule], override: withSimHandlers });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await redis?.stop();
  });

  it('the server refuses a client without credentials (so what follows did authenticate)', async () => {
    const anon = new Redis({ port: redis.port, host: '127.0.0.1', tls: tls ? { ca: cert.ca } : undefined, enableReadyCheck: false, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    anon.on('error', () => undefined);
    try {
      await anon.connect();
      await expect(anon.get('x')).rejects.toThrow(/NOAUTH|Authentication required/);
    } finally {
      anon.disconnect();
    }
  });

  it('health, the limiter, the cache subscriptions and an ingest job all work through it', async () => {
    await until(async () => (await request(app.url).get('/health/ready')).status === 200, 20_000, 'ready', 200); // 2 s probes: polled
    await until(() => app.app.get(LimitsCache).isLive() && app.app.get(FlagsCache).isLive(), 10_000, 'both caches subscribed');
    const A = await orgWithRoles(db.owner);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await request(app.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${A.tokens.member}`).send({ input: 'x' })).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(app.app.get(RateLimitStorage).onFallback).toBe(false);
    const ids = await insertJobs(db.owner, A.org.id, 3, { work_ms: 1 });
    await until(async () => (await countByStatus(db.owner, A.org.id, ids)).succeeded === 3, 60_000, 'the jobs succeeded', 100);
  }, 120_000);
});
