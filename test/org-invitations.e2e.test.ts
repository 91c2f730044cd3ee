import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevToken } from '../src/tenancy/dev-token.js';
import { startApp, type TestApp } from './support/app.js';
import { asOrg, beginTenant, createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV } from './support/env.js';
import { until } from './support/wait.js';
import {
  addMember,
  createOrg,
  createUser,
  orgWithRoles,
  tokenFor,
  type Org,
  type User,
} from './support/fixtures.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** The shared `until` in this suite's argument order. */
const within = async (ms: number, what: string, fn: () => Promise<boolean>): Promise<void> => void (await until(fn, ms, what));

describe('membership by consent: invitations, members, default org', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    A = await orgWithRoles(db.owner);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const as = (token: string) => ({
    get: (p: string) => request(t.url).get(p).set('Authorization', `Bearer ${token}`),
    post: (p: string, body?: object) =>
      request(t.url).post(p).set('Authorization', `Bearer ${token}`).send(body),
    patch: (p: string, body: object) =>
      request(t.url).patch(p).set('Authorization', `Bearer ${token}`).send(body),
    put: (p: string, body: object) =>
      request(t.url).put(p).set('Authorization', `Bearer ${token}`).send(body),
    delete: (p: string) => request(t.url).delete(p).set('Authorization', `Bearer ${token}`),
  });

  const invite = async (by: string, email: string, role = 'member') => {
    const res = await as(by).post('/v1/org/invitations', { email, role }).expect(201);
    return res.body as { id: string; token: string; email: string; role: string; status: string };
  };
  const accept = (token: string, invitation: string) =>
    as(token).post(`/v1/invitations/${invitation}/accept`);
  const auditRows = (org: Org, entityId: string) =>
    asOrg(
      db.owner,
      org.id,
      async (c) =>
        (
          await c.query<{ actor_user_id: string; action: string; before: any; after: any }>(
            `SELECT actor_user_id, action, before, after FROM org_audit_log WHERE entity_id = $1 ORDER BY at`,
            [entityId],
          )
        ).rows,
    );

  describe('create, list, revoke', () => {
    it('an admin invites: 201 with a one-time token; the list never shows it; revoke is 204 (twice too)', async () => {
      const inv = await invite(A.tokens.admin, 'Listed@Test.Local');
      expect(inv).toMatchObject({ email: 'listed@test.local', role: 'member', status: 'pending' });
      expect(inv.token).toMatch(/^[A-Za-z0-9_-]{86}$/);
      const list = await as(A.tokens.admin).get('/v1/org/invitations?limit=100').expect(200);
      const row = list.body.data.find((i: { id: string }) => i.id === inv.id);
      expect(row).toMatchObject({ status: 'pending', invited_by: A.users.admin.id });
      expect(JSON.stringify(list.body)).not.toContain(inv.token);
      expect(row).not.toHaveProperty('token');
      expect(row).not.toHaveProperty('token_hash');
      await as(A.tokens.admin).delete(`/v1/org/invitations/${inv.id}`).expect(204);
      await as(A.tokens.admin).delete(`/v1/org/invitations/${inv.id}`).expect(204);
      const after = await as(A.tokens.admin).get('/v1/org/invitations?limit=100').expect(200);
      expect(after.body.data.find((i: { id: string }) => i.id === inv.id).status).toBe('revoked');
      await as(A.tokens.admin).delete(`/v1/org/invitations/${randomUUID()}`).expect(404);
    });

    it('the table keeps only a hash; invitation.created lands in the outbox without the token', async () => {
      const inv = await invite(A.tokens.owner, 'outbox@test.local', 'viewer');
      const stored = await asOrg(db.owner, A.org.id, async (c) => {
        const i = await c.query(
          `SELECT token_hash, extract(epoch FROM expires_at - created_at)::float8 AS ttl FROM org_invitations WHERE id = $1`,
          [inv.id],
        );
        const e = await c.query(
          `SELECT topic, payload FROM outbox_events WHERE payload->>'invitation_id' = $1`,
          [inv.id],
        );
        return { i: i.rows[0], e: e.rows };
      });
      expect(stored.i.token_hash).toHaveLength(32);
      expect(Math.round(stored.i.ttl)).toBe(7 * 86_400); // INVITATION_TTL_S's default
      expect(stored.e).toHaveLength(1);
      expect(stored.e[0]).toMatchObject({
        topic: 'invitation.created',
        payload: { email: 'outbox@test.local', role: 'viewer' },
      });
      expect(JSON.stringify(stored.e)).not.toContain(inv.token);
    });

    it('pages the list with a cursor', async () => {
      for (let i = 0; i < 3; i++) await invite(A.tokens.admin, `page-${i}@test.local`);
      const first = await as(A.tokens.admin).get('/v1/org/invitations?limit=2').expect(200);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await as(A.tokens.admin)
        .get(`/v1/org/invitations?limit=2&cursor=${first.body.next_cursor}`)
        .expect(200);
      const ids = [...first.body.data, ...second.body.data].map((i: { id: string }) => i.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('a member may not invite or list (403)', async () => {
      await as(A.tokens.member)
        .post('/v1/org/invitations', { email: 'x@test.local', role: 'viewer' })
        .expect(403);
      await as(A.tokens.member).get('/v1/org/invitations').expect(403);
    });

    it('invitation routes are rate limited like other tenant routes', async () => {
      const res = await as(A.tokens.admin).get('/v1/org/invitations').expect(200);
      expect(res.headers['ratelimit-policy']).toMatch(/"api"/);
    });

    it('inviting a known and an unknown e-mail answer identically', async () => {
      const known = await createUser(db.owner);
      const a = await as(A.tokens.admin).post('/v1/org/invitations', { email: known.email, role: 'member' });
      const b = await as(A.tokens.admin).post('/v1/org/invitations', {
        email: `nobody-${randomUUID()}@test.local`,
        role: 'member',
      });
      expect(a.status).toBe(201);
      expect(b.status).toBe(a.status);
      expect(Object.keys(b.body).sort()).toEqual(Object.keys(a.body).sort());
      expect(b.body.status).toBe(a.body.status);
      expect(b.body.invited_by).toBe(a.body.invited_by);
      expect(
        Object.keys(b.headers)
          .filter((h) => !/date|ratelimit|request-id|content-length/i.test(h))
          .sort(),
      ).toEqual(
        Object.keys(a.headers)
          .filter((h) => !/date|ratelimit|request-id|content-length/i.test(h))
          .sort(),
      );
    });

    it('only an owner invites an owner', async () => {
      await as(A.tokens.admin)
        .post('/v1/org/invitations', { email: 'o@test.local', role: 'owner' })
        .expect(403);
      await as(A.tokens.owner)
        .post('/v1/org/invitations', { email: 'o@test.local', role: 'owner' })
        .expect(201);
    });

    it('bad input is 400 problem+json', async () => {
      for (const body of [
        { email: 'not-an-email', role: 'member' },
        { email: 'a@test.local', role: 'root' },
        { email: 'a@test.local' },
      ]) {
        const res = await as(A.tokens.admin).post('/v1/org/invitations', body);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      await as(A.tokens.admin).delete('/v1/org/invitations/nope').expect(400);
    });
  });

  describe('accept', () => {
    it('the matching user accepts (e-mail case-insensitive); the change is audited', async () => {
      const carol = await createUser(db.owner, { email: `carol-${randomUUID().slice(0, 8)}@test.local` });
      const inv = await invite(A.tokens.admin, carol.email.toUpperCase(), 'admin');
      const res = await accept(await tokenFor(carol), inv.token).expect(200);
      expect(res.body).toEqual({ org_id: A.org.id, role: 'admin' });
      // the guard's cached memberships are dropped on commit (LISTEN), within the SPEC's second
      const carolToken = await tokenFor(carol);
      await within(2000, 'the membership applies', async () => {
        const org = await as(carolToken).get('/v1/org').set('X-Org-Id', A.org.id);
        return org.status === 200 && org.body.role === 'admin';
      });
      const member = await auditRows(A.org, carol.id);
      expect(member).toEqual([
        expect.objectContaining({ actor_user_id: carol.id, action: 'insert', before: null }),
      ]);
      expect(member[0].after).toMatchObject({ role: 'admin', user_id: carol.id });
      const invitation = await auditRows(A.org, inv.id);
      expect(invitation.map((r) => r.action)).toEqual(['insert', 'update']);
      expect(invitation[0].actor_user_id).toBe(A.users.admin.id);
      expect(invitation[1]).toMatchObject({ actor_user_id: carol.id, before: { accepted_at: null } });
      expect(JSON.stringify(invitation)).not.toContain('token_hash');
    });

    it('another user gets 404 and the invitation stays usable; twice is 409', async () => {
      const dave = await createUser(db.owner);
      const mallory = await createUser(db.owner);
      const inv = await invite(A.tokens.admin, dave.email);
      const wrong = await accept(await tokenFor(mallory), inv.token).expect(404);
      expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
      // a token claiming dave's e-mail does not make mallory's account dave's
      await accept(await signDevToken(TEST_ENV, { sub: mallory.id, email: dave.email }), inv.token).expect(
        404,
      );
      await accept(await tokenFor(dave), inv.token).expect(200);
      await accept(await tokenFor(dave), inv.token).expect(409);
      await accept(await tokenFor(mallory), inv.token).expect(404);
    });

    it('a malformed or unknown token is 404', async () => {
      const u = await createUser(db.owner);
      await accept(await tokenFor(u), 'nope').expect(404);
      await accept(await tokenFor(u), 'A'.repeat(86)).expect(404);
      const inv = await invite(A.tokens.admin, u.email);
      const forged = inv.token.slice(0, 60) + (inv.token[60] === 'A' ? 'B' : 'A') + inv.token.slice(61);
      await accept(await tokenFor(u), forged).expect(404);
    });

    it('expired or revoked: 410 to the invitee, 404 to anyone else', async () => {
      const erin = await createUser(db.owner);
      const other = await createUser(db.owner);
      const expired = await invite(A.tokens.admin, erin.email);
      await asOrg(db.owner, A.org.id, (c) =>
        c.query(`UPDATE org_invitations SET expires_at = created_at WHERE id = $1`, [expired.id]),
      );
      const gone = await accept(await tokenFor(erin), expired.token).expect(410);
      expect(gone.body.type).toMatch(/gone$/);
      await accept(await tokenFor(other), expired.token).expect(404);
      const revoked = await invite(A.tokens.admin, erin.email);
      await as(A.tokens.admin).delete(`/v1/org/invitations/${revoked.id}`).expect(204);
      await accept(await tokenFor(erin), revoked.token).expect(410);
      await accept(await tokenFor(other), revoked.token).expect(404);
      // an accepted invitation cannot be revoked
      const ok = await invite(A.tokens.admin, erin.email);
      await accept(await tokenFor(erin), ok.token).expect(200);
      await as(A.tokens.admin).delete(`/v1/org/invitations/${ok.id}`).expect(409);
    });

    it('a user the platform has not seen is created on first accept from sub + email', async () => {
      const sub = randomUUID();
      const email = `fresh-${sub.slice(0, 8)}@test.local`;
      const token = await signDevToken(TEST_ENV, { sub, email: email.toUpperCase() });
      // unknown users are refused everywhere else
      await as(token).get('/v1/org').expect(401);
      const inv = await invite(A.tokens.admin, email, 'viewer');
      // a new user whose token names another e-mail, or none: 404, and nobody is created
      const stranger = randomUUID();
      await accept(
        await signDevToken(TEST_ENV, { sub: stranger, email: 'someone-else@test.local' }),
        inv.token,
      ).expect(404);
      await accept(await signDevToken(TEST_ENV, { sub: stranger }), inv.token).expect(404);
      await accept(token, inv.token).expect(200);
      const users = await db.owner.query(`SELECT id, email, is_super_admin FROM users WHERE id = ANY($1)`, [
        [sub, stranger],
      ]);
      expect(users.rows).toEqual([{ id: sub, email, is_super_admin: false }]);
      const org = await as(token).get('/v1/org').expect(200);
      expect(org.body).toMatchObject({ id: A.org.id, role: 'viewer' });
    });

    it('a new user whose e-mail an existing account holds is 404 (the account is not theirs)', async () => {
      const holder = await createUser(db.owner);
      const inv = await invite(A.tokens.admin, holder.email);
      await accept(
        await signDevToken(TEST_ENV, { sub: randomUUID(), email: holder.email }),
        inv.token,
      ).expect(404);
      await accept(await tokenFor(holder), inv.token).expect(200);
    });

    it('accepting into an org one already belongs to is 409', async () => {
      const inv = await invite(A.tokens.admin, A.users.viewer.email, 'admin');
      await accept(A.tokens.viewer, inv.token).expect(409);
      const me = await as(A.tokens.viewer).get('/v1/org').expect(200);
      expect(me.body.role).toBe('viewer');
    });
  });

  describe('members', () => {
    it('lists them a page at a time, oldest first, with a cursor (SPEC: lists use cursor pagination)', async () => {
      const T = await orgWithRoles(db.owner); // owner, admin, member, viewer, joined in that order
      const first = await as(T.tokens.admin).get('/v1/org/members?limit=3').expect(200);
      expect(first.body.data.map((m: { user_id: string }) => m.user_id)).toEqual([
        T.users.owner.id,
        T.users.admin.id,
        T.users.member.id,
      ]);
      expect(first.body.data[0]).toMatchObject({ role: 'owner', email: expect.any(String), created_at: expect.any(String) });
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await as(T.tokens.admin).get(`/v1/org/members?limit=3&cursor=${first.body.next_cursor}`).expect(200);
      expect(second.body).toEqual({ data: [expect.objectContaining({ user_id: T.users.viewer.id })], next_cursor: null });
      const all = await as(T.tokens.admin).get('/v1/org/members').expect(200);
      expect(all.body.data).toHaveLength(4);
      expect(all.body.next_cursor).toBeNull();
      for (const bad of ['limit=101', 'limit=0', 'cursor=nope'])
        expect((await as(T.tokens.admin).get(`/v1/org/members?${bad}`)).status).toBe(400);
    });

    it('only an owner grants or removes the owner role', async () => {
      const T = await orgWithRoles(db.owner);
      await as(T.tokens.admin).patch(`/v1/org/members/${T.users.member.id}`, { role: 'owner' }).expect(403);
      await as(T.tokens.admin).patch(`/v1/org/members/${T.users.owner.id}`, { role: 'admin' }).expect(403);
      await as(T.tokens.admin).delete(`/v1/org/members/${T.users.owner.id}`).expect(403);
      await as(T.tokens.admin).patch(`/v1/org/members/${T.users.viewer.id}`, { role: 'member' }).expect(200);
      const res = await as(T.tokens.owner)
        .patch(`/v1/org/members/${T.users.member.id}`, { role: 'owner' })
        .expect(200);
      expect(res.body).toMatchObject({ user_id: T.users.member.id, role: 'owner' });
      const audit = await auditRows(T.org, T.users.member.id);
      expect(audit.at(-1)).toMatchObject({
        actor_user_id: T.users.owner.id,
        action: 'update',
        before: { role: 'member' },
        after: { role: 'owner' },
      });
      await as(T.tokens.owner).delete(`/v1/org/members/${T.users.member.id}`).expect(204);
      expect((await auditRows(T.org, T.users.member.id)).at(-1)).toMatchObject({
        action: 'delete',
        after: null,
      });
      await as(T.tokens.owner).patch(`/v1/org/members/${randomUUID()}`, { role: 'viewer' }).expect(404);
      await as(T.tokens.owner).patch(`/v1/org/members/${T.users.owner.id}`, { role: 'admin' }).expect(409);
    });

    it('a member leaves; the last owner cannot', async () => {
      const T = await orgWithRoles(db.owner);
      await as(T.tokens.viewer).delete('/v1/org/members/me').expect(204);
      // that was the viewer's only org: a route that needs one now answers 400
      await within(
        2000,
        'the viewer has no org',
        async () => (await as(T.tokens.viewer).get('/v1/org')).status === 400,
      );
      const res = await as(T.tokens.owner).delete('/v1/org/members/me').expect(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      await as(T.tokens.owner).get('/v1/org').expect(200);
    });

    it('two owners demoting each other at once leave one owner (API)', async () => {
      const T = await orgWithRoles(db.owner);
      await as(T.tokens.owner).patch(`/v1/org/members/${T.users.admin.id}`, { role: 'owner' }).expect(200);
      await within(
        2000,
        'the promotion applies',
        async () => (await as(T.tokens.admin).get('/v1/org')).body.role === 'owner',
      );
      const [a, b] = await Promise.all([
        as(T.tokens.owner).patch(`/v1/org/members/${T.users.admin.id}`, { role: 'admin' }),
        as(T.tokens.admin).patch(`/v1/org/members/${T.users.owner.id}`, { role: 'admin' }),
      ]);
      // the loser is refused by the last-owner trigger (409), or, if the winner committed before
      // its transaction began, by tenant_begin()'s role re-check (403: it is no longer an owner)
      expect([a.status, b.status].filter((s) => s === 200)).toHaveLength(1);
      expect([a.status, b.status].find((s) => s !== 200)).toBeOneOf([403, 409]);
      const owners = await asOrg(db.owner, T.org.id, (c) =>
        c.query(`SELECT count(*)::int AS n FROM org_members WHERE org_id = $1 AND role = 'owner'`, [
          T.org.id,
        ]),
      );
      expect(owners.rows[0].n).toBe(1);
    });
  });

  describe('the last-owner invariant in the database, two concurrent transactions', () => {
    let T: Tenant;
    let second: User;
    const clients: pg.Client[] = [];

    beforeAll(async () => {
      T = await orgWithRoles(db.owner);
      second = T.users.admin;
      await asOrg(db.owner, T.org.id, (c) =>
        c.query(`UPDATE org_members SET role = 'owner' WHERE user_id = $1`, [second.id]),
      );
    });

    afterAll(async () => {
      for (const c of clients) await c.end().catch(() => undefined);
    });

    const connect = async (user: User) => {
      const c = new pg.Client({ connectionString: db.appUrl });
      c.on('error', () => undefined);
      clients.push(c);
      await c.connect();
      await c.query('BEGIN');
      await beginTenant(c, { orgId: T.org.id, userId: user.id, role: 'owner' });
      return c;
    };

    it('the second demotion waits for the first and then fails: one owner remains', async () => {
      const one = await connect(T.users.owner);
      const two = await connect(second);
      await one.query(`UPDATE org_members SET role = 'admin' WHERE org_id = $1 AND user_id = $2`, [
        T.org.id,
        second.id,
      ]);
      const pid = (await two.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const blocked = two.query(`UPDATE org_members SET role = 'admin' WHERE org_id = $1 AND user_id = $2`, [
        T.org.id,
        T.users.owner.id,
      ]);
      blocked.catch(() => undefined);
      await within(5000, 'the second transaction waits on a lock', async () => {
        const r = await db.owner.query<{ n: number }>(`SELECT cardinality(pg_blocking_pids($1)) AS n`, [pid]);
        return r.rows[0].n > 0;
      });
      await one.query('COMMIT');
      await expect(blocked).rejects.toMatchObject({ code: 'RKO01' });
      await two.query('ROLLBACK');
      const owners = await asOrg(db.owner, T.org.id, (c) =>
        c.query<{ user_id: string }>(`SELECT user_id FROM org_members WHERE org_id = $1 AND role = 'owner'`, [
          T.org.id,
        ]),
      );
      expect(owners.rows.map((r) => r.user_id)).toEqual([T.users.owner.id]);
    });

    it('removing the last owner is refused for the owner role too; deleting the org is not', async () => {
      await expect(
        asOrg(db.owner, T.org.id, (c) =>
          c.query(`DELETE FROM org_members WHERE user_id = $1`, [T.users.owner.id]),
        ),
      ).rejects.toMatchObject({ code: 'RKO01' });
      const doomed = await createOrg(db.owner);
      const u = await createUser(db.owner);
      await addMember(db.owner, doomed, u, 'owner');
      await db.owner.query(`DELETE FROM orgs WHERE id = $1`, [doomed.id]);
    });

    it('a REPEATABLE READ transaction may not remove an owner (its snapshot could be stale)', async () => {
      const c = new pg.Client({ connectionString: db.appUrl });
      clients.push(c);
      await c.connect();
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await beginTenant(c, { orgId: T.org.id, userId: T.users.owner.id, role: 'owner' });
      await expect(
        c.query(`DELETE FROM org_members WHERE org_id = $1 AND user_id = $2`, [T.org.id, T.users.owner.id]),
      ).rejects.toMatchObject({ code: '25001' });
      await c.query('ROLLBACK');
    });
  });

  describe('default org', () => {
    let u: User;
    let older: Org;
    let newer: Org;

    beforeAll(async () => {
      u = await createUser(db.owner);
      older = await createOrg(db.owner);
      newer = await createOrg(db.owner);
      await addMember(db.owner, older, u, 'viewer');
      await addMember(db.owner, newer, u, 'admin');
    });

    it('several memberships and nothing named: the oldest membership, never a 400', async () => {
      const res = await as(await tokenFor(u))
        .get('/v1/org')
        .expect(200);
      expect(res.body.id).toBe(older.id);
    });

    it('PUT /v1/me/default-org picks the org; X-Org-Id and the token claim still win', async () => {
      const token = await tokenFor(u);
      await as(token)
        .put('/v1/me/default-org', { org_id: newer.id })
        .expect(200, { default_org_id: newer.id });
      await within(
        2000,
        'the default org applies',
        async () => (await as(token).get('/v1/org')).body.id === newer.id,
      );
      expect((await as(token).get('/v1/org').set('X-Org-Id', older.id).expect(200)).body.id).toBe(older.id);
      expect(
        (
          await as(await tokenFor(u, { orgId: older.id }))
            .get('/v1/org')
            .expect(200)
        ).body.id,
      ).toBe(older.id);
    });

    it('an org one does not belong to is 404; a bad id 400', async () => {
      const token = await tokenFor(u);
      await as(token).put('/v1/me/default-org', { org_id: A.org.id }).expect(404);
      await as(token).put('/v1/me/default-org', { org_id: randomUUID() }).expect(404);
      await as(token).put('/v1/me/default-org', { org_id: 'nope' }).expect(400);
    });

    it('a user with no org still sets nothing and gets 400 only where an org is needed', async () => {
      const lonely = await createUser(db.owner);
      const token = await tokenFor(lonely);
      await as(token).get('/v1/org').expect(400);
      await as(token).put('/v1/me/default-org', { org_id: older.id }).expect(404);
    });
  });
});
