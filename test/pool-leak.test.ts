import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';

/**
 * Hundreds of concurrent requests alternating between orgs over a 4-connection pool: if a tenant
 * setting outlived its transaction, some response would carry the other org's rows.
 */
describe('pooled connections carry nothing between requests', () => {
  let db: TestDb;
  let t: TestApp;
  const orgs: Awaited<ReturnType<typeof orgWithRoles>>[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    // 600 requests at once per org: past the per-org bound of waiting transactions (64) and the instance's in-flight bound (256) they would be shed, which is tested elsewhere (db-fairness, admission)
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '4', DATABASE_POOL_TIMEOUT_MS: '60000', DATABASE_MAX_QUEUED_PER_ORG: '1000', ADMISSION_MAX_INFLIGHT: '0' }));
    for (let i = 0; i < 3; i++) {
      const o = await orgWithRoles(db.owner);
      orgs.push(o);
      for (let j = 0; j < 3; j++) {
        await request(t.url).post('/v1/threads').set('Authorization', `Bearer ${o.tokens.owner}`).send({ title: `${o.org.slug}-${j}` }).expect(201);
      }
    }
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('600 concurrent mixed reads and writes: every answer holds only its own org', async () => {
    const calls = Array.from({ length: 600 }, (_, i) => {
      const o = orgs[i % orgs.length];
      const auth = `Bearer ${o.tokens.owner}`;
      const req =
        i % 5 === 0
          ? request(t.url).post('/v1/threads').set('Authorization', auth).send({ title: `${o.org.slug}-w${i}` })
          : request(t.url).get('/v1/threads?limit=100').set('Authorization', auth);
      return req.then((res) => ({ o, res }));
    });
    const results = await Promise.all(calls);
    for (const { o, res } of results) {
      expect([200, 201]).toContain(res.status);
      const titles: string[] = res.status === 200 ? res.body.data.map((x: { title: string }) => x.title) : [res.body.title];
      expect(titles.length).toBeGreaterThan(0);
      for (const title of titles) expect(title.startsWith(`${o.org.slug}-`), `${title} in ${o.org.slug}'s answer`).toBe(true);
    }
    // the writes all landed in their own org
    for (const o of orgs) {
      const res = await request(t.url).get('/v1/threads?limit=100').set('Authorization', `Bearer ${o.tokens.owner}`).expect(200);
      expect(res.body.data).toHaveLength(3 + 40);
    }
  });
});
