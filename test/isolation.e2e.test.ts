import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { SignJWT } from 'jose';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { addMember, createOrg, createUser, orgWithRoles, tokenFor } from './support/fixtures.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

describe('tenant isolation through the API', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  let B: Tenant;
  const bIds: Record<string, string> = {};
  let aThread: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
    const asB = (r: request.Test) => r.set('Authorization', `Bearer ${B.tokens.owner}`);
    bIds.thread = (await asB(request(t.url).post('/v1/threads').send({ title: 'B secret thread' })).expect(201)).body.id;
    bIds.message = (
      await asB(request(t.url).post(`/v1/threads/${bIds.thread}/messages`).send({ role: 'user', content: 'B secret message' })).expect(201)
    ).body.id;
    bIds.knowledge = (await asB(request(t.url).post('/v1/knowledge').send({ title: 'B secret', text: 'B secret text' })).expect(201)).body.id;
    bIds.member = B.users.member.id;
    bIds.invitation = (
      await asB(request(t.url).post('/v1/org/invitations').send({ email: 'b-secret@test.local', role: 'member' })).expect(201)
    ).body.id;
    aThread = (await asA(request(t.url).post('/v1/threads').send({ title: 'A paged thread' })).expect(201)).body.id;
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const asA = (r: request.Test) => r.set('Authorization', `Bearer ${A.tokens.owner}`);

  // Every route that takes an id × another org's id → 404, and the body carries nothing of B's.
  const matrix: [string, string, (ids: Record<string, string>) => string, object?][] = [
    ['GET', 'thread', (i) => `/v1/threads/${i.thread}`],
    ['PATCH', 'thread', (i) => `/v1/threads/${i.thread}`, { title: 'hijacked' }],
    ['DELETE', 'thread', (i) => `/v1/threads/${i.thread}`],
    ['GET', 'thread messages', (i) => `/v1/threads/${i.thread}/messages`],
    ['POST', 'thread messages', (i) => `/v1/threads/${i.thread}/messages`, { role: 'user', content: 'injected' }],
    ['GET', 'knowledge', (i) => `/v1/knowledge/${i.knowledge}`],
    ['DELETE', 'knowledge', (i) => `/v1/knowledge/${i.knowledge}`],
    ['DELETE', 'member', (i) => `/v1/org/members/${i.member}`],
    ['PATCH', 'member', (i) => `/v1/org/members/${i.member}`, { role: 'viewer' }],
    ['DELETE', 'invitation', (i) => `/v1/org/invitations/${i.invitation}`],
  ];

  it.each(matrix)("%s %s with another org's id → 404, no foreign data", async (method, _what, path, body) => {
    const req = request(t.url)[method.toLowerCase() as 'get'](path(bIds));
    const res = await asA(body ? req.send(body) : req);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toMatch(/B secret/);
  });

  it("nothing of B's changed after A's attempts", async () => {
    const asB = (r: request.Test) => r.set('Authorization', `Bearer ${B.tokens.owner}`);
    const thread = await asB(request(t.url).get(`/v1/threads/${bIds.thread}`)).expect(200);
    expect(thread.body.title).toBe('B secret thread');
    const msgs = await asB(request(t.url).get(`/v1/threads/${bIds.thread}/messages`)).expect(200);
    expect(msgs.body.data.map((m: { content: string }) => m.content)).toEqual(['B secret message']);
    await asB(request(t.url).get(`/v1/knowledge/${bIds.knowledge}`)).expect(200);
    const members = await asB(request(t.url).get('/v1/org/members')).expect(200);
    expect(members.body.data.map((m: { user_id: string }) => m.user_id)).toContain(bIds.member);
  });

  it('lists show only the caller org', async () => {
    await asA(request(t.url).post('/v1/threads').send({ title: 'A thread' })).expect(201);
    for (const path of ['/v1/threads', '/v1/knowledge', '/v1/org/members', '/v1/org/invitations']) {
      const res = await asA(request(t.url).get(path)).expect(200);
      expect(JSON.stringify(res.body), path).not.toMatch(/B secret/);
      expect(JSON.stringify(res.body), path).not.toContain(bIds.member);
      expect(JSON.stringify(res.body), path).not.toContain(bIds.invitation);
    }
  });

  it("naming another org in X-Org-Id is 403 (not a member)", async () => {
    const res = await asA(request(t.url).get('/v1/threads').set('X-Org-Id', B.org.id));
    expect(res.status).toBe(403);
  });

  it("a token whose org_id claim names another org is 403", async () => {
    const token = await tokenFor(A.users.owner, { orgId: B.org.id });
    await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${token}`).expect(403);
  });

  describe('authentication', () => {
    const sign = (claims: Record<string, unknown>, opts: { secret?: string; exp?: number; aud?: string; iss?: string } = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(A.users.owner.id)
        .setIssuer(opts.iss ?? TEST_ENV.JWT_ISSUER)
        .setAudience(opts.aud ?? TEST_ENV.JWT_AUDIENCE)
        .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
        .sign(new TextEncoder().encode(opts.secret ?? TEST_ENV.JWT_SECRET));

    const none = () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: A.users.owner.id, iss: TEST_ENV.JWT_ISSUER, aud: TEST_ENV.JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    };

    const cases: [string, () => Promise<string | undefined>][] = [
      ['no token', async () => undefined],
      ['expired', () => sign({}, { exp: Math.floor(Date.now() / 1000) - 10 })],
      ['wrong signature', () => sign({}, { secret: 'another-secret-another-secret-0123456789' })],
      ['wrong audience', () => sign({}, { aud: 'someone-else' })],
      ['wrong issuer', () => sign({}, { iss: 'someone-else' })],
      ['alg none', async () => none()],
      ['garbage', async () => 'not.a.jwt'],
    ];
    it.each(cases)('%s → 401 problem+json', async (_name, make) => {
      const token = await make();
      const req = request(t.url).get('/v1/threads');
      const res = await (token ? req.set('Authorization', `Bearer ${token}`) : req);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, request_id: expect.any(String) });
    });

    it('the scheme is case-insensitive (RFC 9110): "bearer" and "BEARER" name it; another scheme is 401', async () => {
      const token = await sign({});
      for (const scheme of ['bearer', 'BEARER', 'Bearer'])
        await request(t.url).get('/v1/threads').set('Authorization', `${scheme} ${token}`).expect(200);
      for (const header of [`Basic ${token}`, `Bearer${token}`, `Bearer ${token} x`])
        await request(t.url).get('/v1/threads').set('Authorization', header).expect(401);
    });

    it('a path that exists under other methods is 405 problem+json with Allow; a path that does not exist is 404', async () => {
      const as = (r: request.Test) => r.set('Authorization', `Bearer ${A.tokens.member}`);
      const cases: [request.Test, string][] = [
        [as(request(t.url).put('/v1/org')).send({ name: 'x' }), 'GET, HEAD'],
        [as(request(t.url).delete('/v1/threads')), 'GET, HEAD, POST'],
        [as(request(t.url).options('/v1/threads/00000000-0000-4000-8000-000000000000')), 'DELETE, GET, HEAD, PATCH'],
        [as(request(t.url).post('/v1/threads/00000000-0000-4000-8000-000000000000/messages/x')), ''],
      ];
      for (const [req, allow] of cases) {
        const res = await req;
        if (!allow) {
          expect(res.status).toBe(404);
          continue;
        }
        expect(res.status, `${res.status} ${JSON.stringify(res.body)}`).toBe(405);
        expect(res.headers.allow).toBe(allow);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 405, type: expect.stringMatching(/\/method-not-allowed$/) });
      }
      await request(t.url).get('/v1/no-such-path').expect(404);
    });

    it('a valid token for a user that does not exist → 401', async () => {
      const token = await tokenFor({ id: '11111111-1111-4111-8111-111111111111', email: 'ghost@x' });
      await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${token}`).expect(401);
    });
  });

  describe('roles', () => {
    it('a viewer reads but cannot write (403)', async () => {
      const v = (r: request.Test) => r.set('Authorization', `Bearer ${A.tokens.viewer}`);
      await v(request(t.url).get('/v1/threads')).expect(200);
      const res = await v(request(t.url).post('/v1/threads').send({ title: 'x' }));
      expect(res.status).toBe(403);
    });

    it('a member cannot manage members (403); an admin can', async () => {
      await request(t.url).get('/v1/org/members').set('Authorization', `Bearer ${A.tokens.member}`).expect(403);
      await request(t.url).get('/v1/org/members').set('Authorization', `Bearer ${A.tokens.admin}`).expect(200);
    });

    it('an admin cannot make an owner; the last owner cannot be removed', async () => {
      await request(t.url)
        .patch(`/v1/org/members/${A.users.member.id}`)
        .set('Authorization', `Bearer ${A.tokens.admin}`)
        .send({ role: 'owner' })
        .expect(403);
      await request(t.url)
        .post('/v1/org/invitations')
        .set('Authorization', `Bearer ${A.tokens.admin}`)
        .send({ email: 'new-owner@test.local', role: 'owner' })
        .expect(403);
      await request(t.url)
        .delete(`/v1/org/members/${A.users.owner.id}`)
        .set('Authorization', `Bearer ${A.tokens.owner}`)
        .expect(409);
    });
  });

  describe('revocation', () => {
    it('a removed member is refused on the very next request, token still valid', async () => {
      const org = await createOrg(db.owner);
      const owner = await createUser(db.owner);
      const victim = await createUser(db.owner);
      await addMember(db.owner, org, owner, 'owner');
      await addMember(db.owner, org, victim, 'member');
      const vt = await tokenFor(victim, { orgId: org.id });
      await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${vt}`).expect(200);
      await request(t.url)
        .delete(`/v1/org/members/${victim.id}`)
        .set('Authorization', `Bearer ${await tokenFor(owner)}`)
        .expect(204);
      await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${vt}`).expect(403);
    });

    it('a demoted admin loses admin routes on the next request', async () => {
      const org = await createOrg(db.owner);
      const owner = await createUser(db.owner);
      const adm = await createUser(db.owner);
      await addMember(db.owner, org, owner, 'owner');
      await addMember(db.owner, org, adm, 'admin');
      const at = await tokenFor(adm);
      await request(t.url).get('/v1/org/members').set('Authorization', `Bearer ${at}`).expect(200);
      await request(t.url)
        .patch(`/v1/org/members/${adm.id}`)
        .set('Authorization', `Bearer ${await tokenFor(owner)}`)
        .send({ role: 'viewer' })
        .expect(200);
      await request(t.url).get('/v1/org/members').set('Authorization', `Bearer ${at}`).expect(403);
    });
  });

  describe('bad input → 4xx problem+json, never 500', () => {
    const cases: [string, (r: typeof request) => request.Test, number][] = [
      ['malformed JSON', (r) => r(t.url).post('/v1/threads').set('content-type', 'application/json').send('{"title":'), 400],
      ['wrong type', (r) => r(t.url).post('/v1/threads').send({ title: 42 }), 400],
      ['unknown field', (r) => r(t.url).post('/v1/threads').send({ title: 'x', org_id: 'y' }), 400],
      ['missing field', (r) => r(t.url).post('/v1/threads').send({}), 400],
      ['huge body', (r) => r(t.url).post('/v1/threads').send({ title: 'x'.repeat(2 * 1024 * 1024) }), 413],
      ['bad uuid', (r) => r(t.url).get('/v1/threads/not-a-uuid'), 400],
      ['bad cursor', (r) => r(t.url).get('/v1/threads?cursor=!!!'), 400],
      ['forged cursor', (r) => r(t.url).get(`/v1/threads?cursor=${Buffer.from('x|y').toString('base64url')}`), 400],
      ...['/v1/threads', () => `/v1/threads/${aThread}/messages`, '/v1/knowledge', '/v1/ingest/jobs', '/v1/market/listings'].map(
        (route): [string, (r: typeof request) => request.Test, number] => {
          // a timestamp Postgres reads (+23:00 is out of its offset range: 22009) but the API never emits
          const cursor = Buffer.from('2026-01-01T00:00:00.000001+23:00|00000000-0000-4000-8000-000000000000').toString('base64url');
          const path = () => (typeof route === 'string' ? route : route());
          return [`+23:00 cursor on ${typeof route === 'string' ? route : 'thread messages'}`, (r) => r(t.url).get(`${path()}?cursor=${cursor}`), 400];
        },
      ),
      ['path segment too long (router)', (r) => r(t.url).get(`/v1/threads/${'x'.repeat(1000)}`), 414],
      ['URL too long (HTTP parser)', (r) => r(t.url).get(`/v1/threads?q=${'x'.repeat(70_000)}`), 431],
      ['limit too big', (r) => r(t.url).get('/v1/threads?limit=1000'), 400],
      ['limit not a number', (r) => r(t.url).get('/v1/threads?limit=abc'), 400],
      ['bad X-Org-Id', (r) => r(t.url).get('/v1/threads').set('X-Org-Id', 'nope'), 400],
      ['xml body', (r) => r(t.url).post('/v1/threads').set('content-type', 'application/xml').send('<a/>'), 415],
      ['two knowledge sources', (r) => r(t.url).post('/v1/knowledge').send({ title: 'x', text: 'a', html: '<p>b</p>' }), 422],
      ['nul byte in text', (r) => r(t.url).post('/v1/threads').send({ title: 'a\u0000b' }), 400],
      ['unknown route', (r) => r(t.url).get('/v1/nope'), 404],
      // 1 MiB of nesting: refused by the shape check before parsing (it answered 500 and stalled the loop)
      ['deeply nested JSON', (r) => r(t.url).post('/v1/threads').set('content-type', 'application/json').send('['.repeat(1_000_000) + ']'.repeat(48_000)), 400],
      ['nested JSON in a field', (r) => r(t.url).post('/v1/threads').set('content-type', 'application/json').send(`{"title":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`), 400],
      ['too many keys', (r) => r(t.url).post('/v1/threads').set('content-type', 'application/json').send(`{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":1`).join(',')}}`), 400],
    ];
    it.each(cases)('%s', async (_name, make, status) => {
      const res = await asA(make(request));
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^https:\/\//), request_id: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|SELECT |\/work\//);
    });
  });

  it('X-Request-Id: a sane client id is echoed, otherwise a new uuid', async () => {
    const echoed = await asA(request(t.url).get('/v1/threads').set('X-Request-Id', 'client-id-12345'));
    expect(echoed.headers['x-request-id']).toBe('client-id-12345');
    const fresh = await asA(request(t.url).get('/v1/threads').set('X-Request-Id', 'bad id with spaces'));
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('cursor pagination walks every row exactly once', async () => {
    const org = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${org.tokens.owner}`);
    for (let i = 0; i < 7; i++) await as(request(t.url).post('/v1/threads').send({ title: `p${i}` })).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await as(request(t.url).get(`/v1/threads?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).expect(200);
      seen.push(...res.body.data.map((x: { title: string }) => x.title));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['p6', 'p5', 'p4', 'p3', 'p2', 'p1', 'p0']);
  });

  it('public routes: health, docs', async () => {
    await request(t.url).get('/health/live').expect(200);
    const ready = await request(t.url).get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' }, migrations: { status: 'up' } });
    const doc = await request(t.url).get('/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/threads', '/v1/threads/{id}', '/v1/knowledge']));
  });
});
