import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor, type User } from './support/fixtures.js';
import { FlaggedTestModule } from './support/flagged.module.js';
import { FlagsCache } from '../src/modules/flags/flags.cache.js';
import type { OrgRole } from '../src/tenancy/tenant-context.js';
import { until } from './support/wait.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

describe('feature flags through the API', () => {
  let db: TestDb;
  let one: TestApp;
  let two: TestApp;
  let A: Tenant;
  let B: Tenant;
  let root: User;
  let rootToken: string;

  const audit = async () =>
    (await db.owner.query(`SELECT * FROM feature_flag_audit ORDER BY id`)).rows as Record<string, any>[];
  const adminList = async () => (await request(one.url).get('/v1/admin/flags').set('Authorization', `Bearer ${rootToken}`).expect(200)).body;
  const flagsOf = async (t: TestApp, token: string) =>
    (await request(t.url).get('/v1/flags').set('Authorization', `Bearer ${token}`).expect(200)).body as Record<string, boolean>;
  const su = (r: request.Test) => r.set('Authorization', `Bearer ${rootToken}`);
  /** Each test states the flag settings it starts from, so that none depends on another's leftovers. */
  const setFlag = (key: string, enabled: boolean, rollout_percent = 0) =>
    su(request(one.url).put(`/v1/admin/flags/${key}`)).send({ enabled, rollout_percent }).expect(200);
  const clearOverrides = async (key: string) => {
    for (const o of [A, B]) {
      const res = await su(request(one.url).delete(`/v1/admin/flags/${key}/orgs/${o.org.id}`));
      expect([204, 404]).toContain(res.status);
    }
  };
  /** Instance `t` answers `value` for `key` to `token` (polled: a fresh write may be in flight). */
  const sees = (t: TestApp, token: string, key: string, value: boolean) =>
    until(async () => (await flagsOf(t, token))[key] === value, 1000);

  beforeAll(async () => {
    db = await createTestDb();
    // one Redis prefix: two instances of one deployment. The super_admin has no org, so its writes
    // count against the `user` policy (60 a minute by default); the rollout test makes more.
    const env = envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_DEFAULTS: '{"user":{"limit":1000,"window_s":60}}' });
    one = await startApp(env, { imports: [FlaggedTestModule] });
    two = await startApp(env, { imports: [FlaggedTestModule] });
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
    root = await createUser(db.owner, { superAdmin: true });
    rootToken = await tokenFor(root);
    for (const t of [one, two]) {
      const cache = t.app.get(FlagsCache);
      expect(await until(async () => cache.isLive(), 5000)).toBe(true);
    }
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  it('GET /v1/flags answers every known flag as a boolean for any role', async () => {
    for (const role of ['owner', 'admin', 'member', 'viewer'] as OrgRole[]) {
      expect(await flagsOf(one, A.tokens[role])).toEqual({ hybrid_search: false, tts_streaming: true, market_publish: true });
    }
    await request(one.url).get('/v1/flags').expect(401);
  });

  describe('org roles cannot write', () => {
    const writes = (): [string, string, object | undefined][] => [
      ['PUT', '/v1/admin/flags/hybrid_search', { enabled: true, rollout_percent: 100 }],
      ['PUT', `/v1/admin/flags/hybrid_search/orgs/${A.org.id}`, { enabled: true }],
      ['PUT', `/v1/admin/flags/hybrid_search/orgs/${B.org.id}`, { enabled: true }],
      ['DELETE', `/v1/admin/flags/hybrid_search/orgs/${A.org.id}`, undefined],
      ['GET', '/v1/admin/flags', undefined],
      ['GET', '/v1/admin/flags/audit', undefined],
    ];

    it.each(['owner', 'admin', 'member', 'viewer'] as OrgRole[])('%s: every admin route → 403, nothing changes', async (role) => {
      const listBefore = await adminList();
      const auditBefore = (await audit()).length;
      const bBefore = await flagsOf(one, B.tokens.owner);
      for (const [method, path, body] of writes()) {
        for (const orgHeader of [undefined, A.org.id]) {
          let req = request(one.url)[method.toLowerCase() as 'put'](path).set('Authorization', `Bearer ${A.tokens[role]}`);
          if (orgHeader) req = req.set('X-Org-Id', orgHeader);
          const res = await (body ? req.send(body) : req);
          expect(res.status, `${method} ${path}`).toBe(403);
          expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        }
      }
      expect(await adminList()).toEqual(listBefore);
      expect((await audit()).length).toBe(auditBefore);
      expect(await flagsOf(one, B.tokens.owner)).toEqual(bBefore);
    });

    it('a route that forgot @SuperAdmin() still cannot write: the database refuses', async () => {
      const auditBefore = (await audit()).length;
      const listBefore = await adminList();
      const res = await request(one.url)
        .put('/test/flags/unguarded/hybrid_search')
        .set('Authorization', `Bearer ${A.tokens.owner}`)
        .send({ enabled: true, rollout_percent: 100 });
      // the RLS refusal (42501) is answered like another org's resource: 404
      expect(res.status).toBe(404);
      expect(await adminList()).toEqual(listBefore);
      expect((await audit()).length).toBe(auditBefore);
    });
  });

  describe('super_admin writes', () => {
    it('upsert, override, clear: each succeeds and leaves one audit row with before/after', async () => {
      const n0 = (await audit()).length;

      const put = await su(request(one.url).put('/v1/admin/flags/market_publish')).send({ enabled: false, description: 'kill switch' }).expect(200);
      expect(put.body).toMatchObject({ key: 'market_publish', default_enabled: false, rollout_percent: 0, description: 'kill switch', configured: true });
      let rows = await audit();
      expect(rows).toHaveLength(n0 + 1);
      expect(rows.at(-1)).toMatchObject({
        actor_user_id: root.id,
        flag_key: 'market_publish',
        target_org_id: null,
        action: 'insert',
        before: null,
        after: expect.objectContaining({ default_enabled: false }),
        request_id: put.headers['x-request-id'],
      });

      const upd = await su(request(one.url).put('/v1/admin/flags/market_publish')).send({ enabled: true, rollout_percent: 25 }).expect(200);
      expect(upd.body).toMatchObject({ default_enabled: true, rollout_percent: 25, description: 'kill switch' });
      rows = await audit();
      expect(rows).toHaveLength(n0 + 2);
      expect(rows.at(-1)).toMatchObject({
        action: 'update',
        before: expect.objectContaining({ default_enabled: false, rollout_percent: 0 }),
        after: expect.objectContaining({ default_enabled: true, rollout_percent: 25 }),
        request_id: upd.headers['x-request-id'],
      });

      const ov = await su(request(one.url).put(`/v1/admin/flags/market_publish/orgs/${B.org.id}`)).send({ enabled: false }).expect(200);
      expect(ov.body).toMatchObject({ org_id: B.org.id, flag_key: 'market_publish', enabled: false });
      rows = await audit();
      expect(rows).toHaveLength(n0 + 3);
      expect(rows.at(-1)).toMatchObject({ action: 'insert', target_org_id: B.org.id, before: null, after: expect.objectContaining({ enabled: false }) });
      expect((await flagsOf(one, B.tokens.viewer)).market_publish).toBe(false);
      expect((await flagsOf(one, A.tokens.viewer)).market_publish).toBe(true);

      await su(request(one.url).put(`/v1/admin/flags/market_publish/orgs/${B.org.id}`)).send({ enabled: true }).expect(200);
      rows = await audit();
      expect(rows).toHaveLength(n0 + 4);
      expect(rows.at(-1)).toMatchObject({ action: 'update', before: expect.objectContaining({ enabled: false }), after: expect.objectContaining({ enabled: true }) });

      const list = await adminList();
      expect(list.data.find((f: { key: string }) => f.key === 'market_publish').overrides).toEqual([
        expect.objectContaining({ org_id: B.org.id, enabled: true }),
      ]);

      await su(request(one.url).delete(`/v1/admin/flags/market_publish/orgs/${B.org.id}`)).expect(204);
      rows = await audit();
      expect(rows).toHaveLength(n0 + 5);
      expect(rows.at(-1)).toMatchObject({ action: 'delete', target_org_id: B.org.id, before: expect.objectContaining({ enabled: true }), after: null });
      for (const r of rows.slice(n0)) expect(r.actor_user_id).toBe(root.id);
    });

    it.each([
      ['PUT', '/v1/admin/flags/no_such_flag', { enabled: true }],
      ['PUT', '/v1/admin/flags/no_such_flag/orgs/00000000-0000-4000-8000-000000000000', { enabled: true }],
      ['DELETE', '/v1/admin/flags/no_such_flag/orgs/00000000-0000-4000-8000-000000000000', undefined],
    ])('unknown key: %s %s → 400', async (method, path, body) => {
      const req = su(request(one.url)[method.toLowerCase() as 'put'](path));
      const res = await (body ? req.send(body) : req);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, errors: { key: [expect.stringContaining('hybrid_search')] } });
    });

    it.each([
      ['enabled missing', 400, '/v1/admin/flags/hybrid_search', {}],
      ['enabled as a string', 400, '/v1/admin/flags/hybrid_search', { enabled: 'true' }],
      ['rollout over 100', 400, '/v1/admin/flags/hybrid_search', { enabled: true, rollout_percent: 101 }],
      ['rollout negative', 400, '/v1/admin/flags/hybrid_search', { enabled: true, rollout_percent: -1 }],
      ['rollout fractional', 400, '/v1/admin/flags/hybrid_search', { enabled: true, rollout_percent: 1.5 }],
      ['unknown field', 400, '/v1/admin/flags/hybrid_search', { enabled: true, org_id: 'x' }],
      ['description too long', 400, '/v1/admin/flags/hybrid_search', { enabled: true, description: 'x'.repeat(501) }],
      ['bad org id', 400, '/v1/admin/flags/hybrid_search/orgs/not-a-uuid', { enabled: true }],
      ['unknown org', 404, '/v1/admin/flags/hybrid_search/orgs/00000000-0000-4000-8000-000000000000', { enabled: true }],
    ])('%s → %i, nothing written', async (_name, status, path, body) => {
      const n = (await audit()).length;
      const res = await su(request(one.url).put(path)).send(body);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await audit()).length).toBe(n);
    });

    it('GET /v1/admin/flags/audit pages through the log, newest first, filtered by flag', async () => {
      await setFlag('hybrid_search', true, 5);
      await setFlag('hybrid_search', false, 5);
      await setFlag('tts_streaming', true);
      const all = (await audit()).reverse();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/admin/flags/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await su(request(one.url).get(url)).expect(200)).body;
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((r: { id: string }) => r.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.map((r) => String(r.id)));
      const hybrid = (await su(request(one.url).get('/v1/admin/flags/audit?flag_key=hybrid_search&limit=100')).expect(200)).body;
      expect(hybrid.data.length).toBeGreaterThanOrEqual(2);
      expect(hybrid.data.every((r: { flag_key: string }) => r.flag_key === 'hybrid_search')).toBe(true);
      expect(hybrid.data[0]).toMatchObject({ actor_user_id: root.id, action: 'update', before: expect.objectContaining({ default_enabled: true }), after: expect.objectContaining({ default_enabled: false }) });
      await su(request(one.url).get('/v1/admin/flags/audit?flag_key=nope')).expect(400);
      await su(request(one.url).get(`/v1/admin/flags/audit?cursor=${Buffer.from('1; DROP').toString('base64url')}`)).expect(400);
    });

    it('clearing an override that does not exist → 404', async () => {
      await su(request(one.url).delete(`/v1/admin/flags/tts_streaming/orgs/${A.org.id}`)).expect(404);
    });
  });

  describe('@RequireFlag', () => {
    it('a route behind an off flag → 404 like an unknown route; on for the org → works', async () => {
      await setFlag('hybrid_search', false);
      await clearOverrides('hybrid_search');
      const get = (token: string) => request(one.url).get('/test/flags/hybrid').set('Authorization', `Bearer ${token}`);
      const off = await get(A.tokens.viewer);
      expect(off.status).toBe(404);
      expect(off.headers['content-type']).toMatch(/application\/problem\+json/);
      const unknown = await request(one.url).get('/test/flags/nope').set('Authorization', `Bearer ${A.tokens.viewer}`);
      expect({ ...off.body, instance: 0, request_id: 0, detail: 0 }).toEqual({ ...unknown.body, instance: 0, request_id: 0, detail: 0 });

      await su(request(one.url).put(`/v1/admin/flags/hybrid_search/orgs/${A.org.id}`)).send({ enabled: true }).expect(200);
      expect((await get(A.tokens.viewer).expect(200)).body).toEqual({ ok: true });
      await get(B.tokens.viewer).expect(404);

      await su(request(one.url).delete(`/v1/admin/flags/hybrid_search/orgs/${A.org.id}`)).expect(204);
      await get(A.tokens.viewer).expect(404);
    });
  });

  describe('two instances', () => {
    it('caches per org: a change that bypasses the API is not seen until invalidated', async () => {
      await setFlag('tts_streaming', true);
      await clearOverrides('tts_streaming');
      expect(await sees(two, A.tokens.viewer, 'tts_streaming', true)).toBe(true); // now cached on instance two
      const c = await db.owner.connect();
      try {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('app.actor_role', 'super_admin', true), set_config('app.user_id', $1, true)`, [root.id]);
        await c.query(`INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'tts_streaming', false)`, [A.org.id]);
        await c.query('COMMIT');
      } finally {
        c.release();
      }
      expect((await flagsOf(two, A.tokens.viewer)).tts_streaming).toBe(true);
      // the same write through the API on instance one invalidates instance two
      await su(request(one.url).put(`/v1/admin/flags/tts_streaming/orgs/${A.org.id}`)).send({ enabled: false }).expect(200);
      expect(await until(async () => (await flagsOf(two, A.tokens.viewer)).tts_streaming === false, 1000)).toBe(true);
      await su(request(one.url).delete(`/v1/admin/flags/tts_streaming/orgs/${A.org.id}`)).expect(204);
      expect(await until(async () => (await flagsOf(two, A.tokens.viewer)).tts_streaming === true, 1000)).toBe(true);
    });

    it('an override written on one instance is seen on the other within 1 s', async () => {
      await setFlag('hybrid_search', false);
      await clearOverrides('hybrid_search');
      expect(await sees(two, B.tokens.member, 'hybrid_search', false)).toBe(true); // now cached on instance two
      await su(request(one.url).put(`/v1/admin/flags/hybrid_search/orgs/${B.org.id}`)).send({ enabled: true }).expect(200);
      expect(await until(async () => (await flagsOf(two, B.tokens.member)).hybrid_search, 1000)).toBe(true);
      await request(two.url).get('/test/flags/hybrid').set('Authorization', `Bearer ${B.tokens.member}`).expect(200);
    });

    it('a global flag change on one instance is seen on the other within 1 s, for every org', async () => {
      await setFlag('tts_streaming', true);
      await clearOverrides('tts_streaming');
      expect(await sees(two, A.tokens.member, 'tts_streaming', true)).toBe(true);
      expect(await sees(two, B.tokens.member, 'tts_streaming', true)).toBe(true);
      await su(request(one.url).put('/v1/admin/flags/tts_streaming')).send({ enabled: false }).expect(200);
      const seen = await until(async () => {
        const [a, b] = [await flagsOf(two, A.tokens.member), await flagsOf(two, B.tokens.member)];
        return !a.tts_streaming && !b.tts_streaming;
      }, 1000);
      expect(seen).toBe(true);
    });
  });

  it('rollout through the API: the same answer at every call, an org that is in stays in as it grows', async () => {
    const orgs = [A, B];
    await clearOverrides('hybrid_search');
    await su(request(one.url).put(`/v1/admin/flags/hybrid_search/orgs/${B.org.id}`)).send({ enabled: true }).expect(200);
    const states: boolean[][] = [];
    for (const pct of [0, 30, 50, 100]) {
      await setFlag('hybrid_search', false, pct);
      // B's override (on) wins at every percentage; A follows the rollout
      const row: boolean[] = [];
      for (const o of orgs) {
        const first = (await flagsOf(one, o.tokens.viewer)).hybrid_search;
        expect((await flagsOf(one, o.tokens.viewer)).hybrid_search).toBe(first);
        row.push(first);
      }
      states.push(row);
    }
    expect(states.map((r) => r[1])).toEqual([true, true, true, true]);
    const a = states.map((r) => r[0]);
    expect(a[0]).toBe(false);
    expect(a[3]).toBe(true);
    for (let i = 1; i < a.length; i++) if (a[i - 1]) expect(a[i]).toBe(true);
  });
});
