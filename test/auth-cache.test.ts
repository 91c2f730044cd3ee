import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import pg from 'pg';
import { asOrg, beginTenant, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { addMember, createOrg, createUser, tokenFor } from './support/fixtures.js';
import { ADMIN_URL } from './support/urls.js';
import { until } from './support/wait.js';
import { MembershipCache } from '../src/tenancy/membership.cache.js';

/** Memberships are cached per instance; these tests prove no cache outlives a change. */
describe('membership changes across instances', () => {
  let db: TestDb;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    const env = envFor(db.appUrl, db.ownerUrl);
    one = await startApp(env);
    two = await startApp(env);
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it('removal through instance one: the very next request on instance two is 403', async () => {
    const org = await createOrg(db.owner);
    const owner = await createUser(db.owner);
    const victim = await createUser(db.owner);
    await addMember(db.owner, org, owner, 'owner');
    await addMember(db.owner, org, victim, 'member');
    const vt = await tokenFor(victim, { orgId: org.id });
    // warm both instances' caches
    await request(one.url).get('/v1/threads').set('Authorization', `Bearer ${vt}`).expect(200);
    await request(two.url).get('/v1/threads').set('Authorization', `Bearer ${vt}`).expect(200);
    await request(one.url).delete(`/v1/org/members/${victim.id}`).set('Authorization', `Bearer ${await tokenFor(owner)}`).expect(204);
    await request(two.url).get('/v1/threads').set('Authorization', `Bearer ${vt}`).expect(403);
  });

  it('a demotion made by plain SQL (no API involved) is enforced on the next request', async () => {
    const org = await createOrg(db.owner);
    const u = await createUser(db.owner);
    await addMember(db.owner, org, u, 'admin');
    const t = await tokenFor(u);
    await request(two.url).get('/v1/org/members').set('Authorization', `Bearer ${t}`).expect(200);
    await asOrg(db.owner, org.id, (c) => c.query(`UPDATE org_members SET role = 'viewer' WHERE user_id = $1`, [u.id]));
    await request(two.url).get('/v1/org/members').set('Authorization', `Bearer ${t}`).expect(403);
    // and the viewer still reads
    await request(two.url).get('/v1/threads').set('Authorization', `Bearer ${t}`).expect(200);
  });

  it('a new membership is usable on another instance within 1 s', async () => {
    const org1 = await createOrg(db.owner);
    const org2 = await createOrg(db.owner);
    const u = await createUser(db.owner);
    await addMember(db.owner, org1, u, 'member');
    const t = await tokenFor(u);
    await request(two.url).get('/v1/threads').set('Authorization', `Bearer ${t}`).set('X-Org-Id', org2.id).expect(403);
    await addMember(db.owner, org2, u, 'member');
    const deadline = Date.now() + 1000;
    let status: number;
    do {
      status = (await request(two.url).get('/v1/threads').set('Authorization', `Bearer ${t}`).set('X-Org-Id', org2.id)).status;
    } while (status !== 200 && Date.now() < deadline);
    expect(status).toBe(200);
  });

  it('the cache is in use on both instances; when LISTEN is cut it is off until LISTEN is back', async () => {
    const caches = [one, two].map((t) => t.app.get(MembershipCache));
    await until(() => caches.every((c) => c.isLive()), 5000, 'LISTEN on both instances');
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
        [db.name, 'rocker-auth-listener'],
      );
    } finally {
      await admin.end();
    }
    await until(() => caches.every((c) => !c.isLive()), 5000, 'the cut to be seen');
    await until(() => caches.every((c) => c.isLive()), 10_000, 'LISTEN again');
    // cached again, and still dropped by the next NOTIFY
    const org = await createOrg(db.owner);
    const u = await createUser(db.owner);
    await addMember(db.owner, org, u, 'admin');
    const t = await tokenFor(u);
    // the NOTIFY of addMember may still be on its way and drop the first entry: read until cached
    const deadline = Date.now() + 1000;
    do await request(two.url).get('/v1/org/members').set('Authorization', `Bearer ${t}`).expect(200);
    while (caches[1].peek(u.id) === undefined && Date.now() < deadline);
    expect(caches[1].peek(u.id)?.memberships).toEqual([{ orgId: org.id, role: 'admin' }]);
    await asOrg(db.owner, org.id, (c) => c.query(`UPDATE org_members SET role = 'viewer' WHERE user_id = $1`, [u.id]));
    await until(() => caches[1].peek(u.id) === undefined, 1000, 'the NOTIFY to drop the entry');
    await request(two.url).get('/v1/org/members').set('Authorization', `Bearer ${t}`).expect(403);
  });
});

describe('tenant_begin() in the database', () => {
  let db: TestDb;
  let app: pg.Pool;

  beforeAll(async () => {
    db = await createTestDb();
    app = db.pool(db.appUrl, 1);
  });

  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  const begin = async (org: string | null, user: string | null, role: string | null, actor: string) => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await beginTenant(c, { orgId: org, userId: user, role, actorRole: actor, requestId: 'req-1' });
      const s = await c.query(`SELECT current_setting('app.org_id') AS org, current_setting('app.actor_role') AS actor`);
      await c.query('COMMIT');
      return s.rows[0];
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  };

  it('sets the settings for a current member, refuses a stale role or a non-member', async () => {
    const org = await createOrg(db.owner);
    const u = await createUser(db.owner);
    const stranger = await createUser(db.owner);
    await addMember(db.owner, org, u, 'member');
    await expect(begin(org.id, u.id, 'member', 'member')).resolves.toEqual({ org: org.id, actor: 'member' });
    await expect(begin(org.id, u.id, 'admin', 'admin')).rejects.toMatchObject({ code: 'RKA01' });
    await expect(begin(org.id, stranger.id, 'member', 'member')).rejects.toMatchObject({ code: 'RKA01' });
  });

  it('lets a super_admin act in any org, and refuses a super_admin actor that is not one', async () => {
    const org = await createOrg(db.owner);
    const root = await createUser(db.owner, { superAdmin: true });
    const u = await createUser(db.owner);
    await expect(begin(org.id, root.id, null, 'super_admin')).resolves.toEqual({ org: org.id, actor: 'super_admin' });
    await expect(begin(null, u.id, null, 'super_admin')).rejects.toMatchObject({ code: 'RKA01' });
  });
});
