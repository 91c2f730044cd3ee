import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Cluster, Redis } from 'ioredis';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { countByStatus, createSimTable, effectsPerJob, insertJobs, jobRows, maxOverlap, waitFor } from './support/ingest.js';
import { OwnCluster } from './support/redis-cluster.js';
import { selfSignedCert, type TestCert } from './support/tls.js';
import { until } from './support/wait.js';
import { withSimHandlers } from './support/sim-handlers.js';
import { REDIS } from '../src/redis/redis.module.js';
import { RateLimitStorage } from '../src/modules/limits/rate-limit.storage.js';
import { UsageService } from '../src/modules/limits/usage.service.js';
import { LimitsCache } from '../src/modules/limits/limits.cache.js';
import { FlagsCache } from '../src/modules/flags/flags.cache.js';
import type { Env } from '../src/config/env.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/**
 * The service on a 3-master Redis Cluster (REDIS_CLUSTER_NODES), reached over TLS (rediss://, a
 * private CA) as an ACL user: two all-in-one instances share the limiter, usage counters, cache
 * invalidation and the ingest queues through it.
 */
describe('on a Redis Cluster (3 masters, TLS, ACL user)', () => {
  let cluster: OwnCluster;
  let cert: TestCert;
  let db: TestDb;
  let env: Env;
  let one: TestApp;
  let two: TestApp;
  let rootToken: string;

  beforeAll(async () => {
    cert = selfSignedCert();
    cluster = await OwnCluster.start({ password: 'default-pw', aclUser: { name: 'rocker', password: 'rocker-pw' }, tls: cert });
    db = await createTestDb();
    await createSimTable(db.owner);
    env = envFor(db.appUrl, db.ownerUrl, {
      REDIS_URL: 'rediss://rocker:rocker-pw@cluster/0',
      REDIS_CLUSTER_NODES: cluster.nodesVar,
      REDIS_TLS_CA_FILE: cert.caFile,
      USAGE_FLUSH_MS: '3600000',
      // Only an invalidation message can make a limits change visible on the other instance.
      LIMITS_CACHE_MS: '600000',
      INGEST_ORG_CONCURRENCY: '2',
      INGEST_DISPATCH_INTERVAL_MS: '200',
      // A slow round trip on a loaded machine must not count as Redis down: this suite asserts
      // that decisions are taken in the cluster, not on the per-instance fallback.
      RATE_LIMIT_REDIS_TIMEOUT_MS: '2000',
    });
    [one, two] = await Promise.all([
      startApp(env, { imports: [LimitsTestModule], override: withSimHandlers }),
      startApp(env, { imports: [LimitsTestModule], override: withSimHandlers }),
    ]);
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
    await cluster?.stop();
  });

  const embed = (app: TestApp, t: Tenant) =>
    request(app.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${t.tokens.member}`).send({ input: 'x' });
  const su = (r: request.Test) => r.set('Authorization', `Bearer ${rootToken}`);

  it('every connection is a cluster client; both caches are subscribed; each instance counts two live instances', async () => {
    for (const t of [one, two]) {
      expect(t.app.get(REDIS)).toBeInstanceOf(Cluster);
      // Readiness is probed with 2 s bounds: on a loaded machine the first probe may still be 503.
      await until(async () => (await request(t.url).get('/health/ready')).status === 200, 20_000, 'ready on the cluster', 200);
    }
    await until(() => [one, two].every((t) => t.app.get(LimitsCache).isLive() && t.app.get(FlagsCache).isLive()), 10_000, 'both caches subscribed');
    await until(() => [one, two].every((t) => t.app.get(RateLimitStorage).instances === 2), 10_000, 'two live instances');
  });

  it('the limiter: 3x the limit at once over two instances, exactly `limit` pass, no fallback; another org untouched; usage metered once', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    const limit = 10;
    await su(request(one.url).put(`/v1/admin/orgs/${A.org.id}/limits`)).send({ embeddings: { limit, window_s: 60 } }).expect(200);
    const [a, b] = await Promise.all([
      Promise.all(Array.from({ length: limit * 3 }, (_, i) => embed(i % 2 ? one : two, A))),
      Promise.all(Array.from({ length: 5 }, (_, i) => embed(i % 2 ? one : two, B))),
    ]);
    expect(a.filter((r) => r.status === 201)).toHaveLength(limit);
    expect(a.filter((r) => r.status === 429)).toHaveLength(limit * 2);
    for (const r of a) expect(r.headers['ratelimit-policy']).toContain(`"embeddings";q=${limit};w=60`); // not a fallback share
    expect(b.map((r) => r.status)).toEqual(Array(5).fill(201));
    expect([one, two].map((t) => t.app.get(RateLimitStorage).onFallback)).toEqual([false, false]);

    // Usage counted in the cluster (pending hash, dirty set) and flushed to Postgres once.
    await one.app.get(UsageService).flush();
    await two.app.get(UsageService).flush();
    const usage = await request(two.url).get('/v1/org/usage').set('Authorization', `Bearer ${A.tokens.viewer}`).expect(200);
    expect(usage.body.totals.embedding_inputs).toBe(limit);
  });

  it('a limits change and a flag change made on one instance show on the other at once (pub/sub through the cluster)', async () => {
    const C = await orgWithRoles(db.owner);
    const first = await embed(two, C).expect(201); // two caches C's limits (for 10 minutes)
    expect(first.headers['ratelimit-policy']).not.toContain('q=7;');
    await su(request(one.url).put(`/v1/admin/orgs/${C.org.id}/limits`)).send({ embeddings: { limit: 7, window_s: 60 } }).expect(200);
    await until(async () => (await embed(two, C)).headers['ratelimit-policy']?.includes('"embeddings";q=7;w=60'), 3000, 'the new limit on the other instance');

    const flags = async () => (await request(two.url).get('/v1/flags').set('Authorization', `Bearer ${C.tokens.member}`).expect(200)).body;
    expect((await flags()).hybrid_search).toBe(false); // cached on two (30 s)
    await su(request(one.url).put(`/v1/admin/flags/hybrid_search/orgs/${C.org.id}`)).send({ enabled: true }).expect(200);
    await until(async () => (await flags()).hybrid_search === true, 3000, 'the flag on the other instance');
  });

  it('ingest: every job of two orgs runs once through the cluster queues, never more than the org limit at once', async () => {
    const orgs = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    const ids = await Promise.all(orgs.map((o) => insertJobs(db.owner, o.org.id, 12, { work_ms: 30 })));
    for (const [i, o] of orgs.entries())
      await waitFor(`org ${i}'s jobs succeeded`, async () => (await countByStatus(db.owner, o.org.id, ids[i])).succeeded === 12, 60_000, 100);
    const effects = await effectsPerJob(db.owner);
    for (const id of ids.flat()) expect(effects.get(id), `effects of job ${id}`).toBe(1);
    for (const [i, o] of orgs.entries()) expect(maxOverlap(await jobRows(db.owner, o.org.id, ids[i]))).toBeLessThanOrEqual(2);
  }, 150_000);

  it("keys spread over the masters: a script's keys share a hash tag, different orgs and queues land on different masters", async () => {
    const perMaster: number[] = [];
    for (const port of await cluster.masters()) {
      const node = new Redis({ port, host: '127.0.0.1', username: 'rocker', password: 'rocker-pw', tls: { ca: cert.ca } });
      try {
        let n = 0;
        for await (const keys of node.scanStream({ match: `${env.REDIS_PREFIX}:*`, count: 500 })) n += (keys as string[]).length;
        perMaster.push(n);
      } finally {
        node.disconnect();
      }
    }
    expect(perMaster).toHaveLength(3);
    expect(perMaster.filter((n) => n > 0).length, `keys per master: ${perMaster}`).toBeGreaterThanOrEqual(2);
  });
});
