import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { FlaggedTestModule } from './support/flagged.module.js';
import { FlagsCache } from '../src/modules/flags/flags.cache.js';
import { until } from './support/wait.js';
import { OwnRedis } from './support/redis-server.js';

describe('feature flags while Redis is down', () => {
  let db: TestDb;
  let redis: OwnRedis;
  let t: TestApp;
  let cache: FlagsCache;
  let viewer: string;
  let rootToken: string;
  let orgId: string;

  const flags = async () => (await request(t.url).get('/v1/flags').set('Authorization', `Bearer ${viewer}`).expect(200)).body;
  const setOverride = (enabled: boolean) =>
    request(t.url).put(`/v1/admin/flags/hybrid_search/orgs/${orgId}`).set('Authorization', `Bearer ${rootToken}`).send({ enabled });
  const directOverride = async (enabled: boolean) => {
    const root = await createUser(db.owner, { superAdmin: true });
    const c = await db.owner.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.actor_role', 'super_admin', true), set_config('app.user_id', $1, true)`, [root.id]);
      await c.query(
        `INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'hybrid_search', $2)
         ON CONFLICT (org_id, flag_key) DO UPDATE SET enabled = excluded.enabled`,
        [orgId, enabled],
      );
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  };

  beforeAll(async () => {
    db = await createTestDb();
    redis = await OwnRedis.start();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { REDIS_URL: redis.url }), { imports: [FlaggedTestModule] });
    cache = t.app.get(FlagsCache);
    const A = await orgWithRoles(db.owner);
    orgId = A.org.id;
    viewer = A.tokens.viewer;
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    expect(await until(() => cache.isLive(), 5000)).toBe(true);
  });

  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('reads and writes keep working from the database with no stale cache, and caching resumes when Redis is back', async () => {
    expect((await flags()).hybrid_search).toBe(false);
    await redis.stop();
    expect(await until(() => !cache.isLive(), 5000)).toBe(true);

    expect((await flags()).hybrid_search).toBe(false);
    await setOverride(true).expect(200); // the invalidation cannot be published; the write stands
    expect((await flags()).hybrid_search).toBe(true);
    await request(t.url).get('/test/flags/hybrid').set('Authorization', `Bearer ${viewer}`).expect(200);
    // nothing is cached while invalidations cannot arrive: a change made elsewhere shows at once
    await directOverride(false);
    expect((await flags()).hybrid_search).toBe(false);
    await request(t.url).get('/test/flags/hybrid').set('Authorization', `Bearer ${viewer}`).expect(404);

    // Redis back: the cache resumes with fresh entries
    await redis.start();
    expect(await until(() => cache.isLive(), 10_000)).toBe(true);
    expect((await flags()).hybrid_search).toBe(false);
    // The write drops the entry here and publishes; this instance hears its own message too, and that
    // echo drops whatever was cached before it arrived. Wait for it, so the read below is what stays cached.
    let invalidations = 0;
    const invalidate = cache.invalidate.bind(cache);
    cache.invalidate = (target) => {
      invalidations++;
      invalidate(target);
    };
    await setOverride(true).expect(200);
    expect(await until(() => invalidations >= 2, 5000, 'the write’s own invalidation to come back')).toBe(true);
    expect((await flags()).hybrid_search).toBe(true);
    await directOverride(false); // bypasses the API: the cached answer stands until invalidated
    expect((await flags()).hybrid_search).toBe(true);
  });
});
