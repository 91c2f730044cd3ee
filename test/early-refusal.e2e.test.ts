import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { connect, type Socket } from 'node:net';
import { stalledUpload } from './support/net.js';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { until } from './support/wait.js';
import { Admission } from '../src/common/admission/admission.js';

const MiB = 1024 * 1024;

describe('authentication and the limiter run before the body is read', () => {
  let db: TestDb;
  let t: TestApp;
  let rootToken: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    // api only: crawl jobs stay queued (no worker fetches anything)
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', UPLOAD_MAX_BYTES: String(20 * MiB) }), {
      imports: [LimitsTestModule],
    });
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await t?.close();
    await db?.drop();
  });

  const setLimits = (orgId: string, body: object) =>
    request(t.url).put(`/v1/admin/orgs/${orgId}/limits`).set('Authorization', `Bearer ${rootToken}`).send(body).expect(200);

  it('a 10 MiB upload with a bad token is answered 401 while the upload is stalled, and its connection closed', async () => {
    const up = stalledUpload(t.url, {
      path: '/v1/knowledge/upload',
      headers: { Authorization: 'Bearer not.a.token', 'Content-Type': 'multipart/form-data; boundary=xyz' },
      length: 10 * MiB,
      sent: Buffer.alloc(64 * 1024, 0x61),
    });
    sockets.push(up.socket);
    const r = await up.response;
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.parse(r.body)).toMatchObject({ status: 401, type: expect.stringMatching(/\/unauthorized$/) });
    expect(r.headers['connection']).toBe('close');
    // the rest of the body is not drained: the server closes the connection
    await until(() => up.isClosed(), 5000, 'the server to close the refused upload');
  });

  it('a request refused by its policy (429) is answered before its body arrives; the guard does not charge it twice', async () => {
    const A = await orgWithRoles(db.owner);
    await setLimits(A.org.id, { crawl: { limit: 1, window_s: 60 } });
    const first = await request(t.url)
      .post('/v1/crawl')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .send({ url: 'http://example.com/one' })
      .expect(202);
    // decided once, in the hook: the bucket of 1 shows 0 left (a second charge would have refused it)
    expect(first.headers['ratelimit']).toMatch(/"crawl";r=0;t=\d+/);
    expect(first.headers['ratelimit']).toMatch(/"api";r=5999;/);
    const body = Buffer.from(JSON.stringify({ url: 'http://example.com/two' }));
    const up = stalledUpload(t.url, {
      path: '/v1/crawl',
      headers: { Authorization: `Bearer ${A.tokens.member}`, 'Content-Type': 'application/json' },
      length: body.length,
      sent: body.subarray(0, 5), // never valid JSON: had it been parsed, the answer would be 400
    });
    sockets.push(up.socket);
    const r = await up.response;
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body)).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), policy: 'crawl' });
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(r.headers['ratelimit']).toMatch(/"crawl";r=0;t=\d+/);
  });

  it('a route whose cost is in its body: once its bucket is known empty, the next refusal reads no body', async () => {
    const B = await orgWithRoles(db.owner);
    await setLimits(B.org.id, { embeddings: { limit: 1, window_s: 60 } });
    const embed = () => request(t.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${B.tokens.member}`);
    await embed().send({ input: 'a' }).expect(201);
    await embed().send({ input: 'b' }).expect(429); // decided after its body: this instance now knows the bucket is empty
    const up = stalledUpload(t.url, {
      path: '/v1/test-limits/embed',
      headers: { Authorization: `Bearer ${B.tokens.member}`, 'Content-Type': 'application/json' },
      length: 1000,
      sent: Buffer.from('{"input":'),
    });
    sockets.push(up.socket);
    const r = await up.response;
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body)).toMatchObject({ policy: 'embeddings' });
  });

  it('a forbidden role (403) and a non-member org (403) are refused before the body too, charging nothing', async () => {
    const C = await orgWithRoles(db.owner);
    await setLimits(C.org.id, { crawl: { limit: 1, window_s: 60 } });
    const up = stalledUpload(t.url, {
      path: '/v1/crawl',
      headers: { Authorization: `Bearer ${C.tokens.viewer}`, 'Content-Type': 'application/json' },
      length: 100,
      sent: Buffer.from('{'),
    });
    sockets.push(up.socket);
    expect((await up.response).status).toBe(403);
    // the viewer's refusal took nothing from the org's crawl bucket
    await request(t.url)
      .post('/v1/crawl')
      .set('Authorization', `Bearer ${C.tokens.member}`)
      .send({ url: 'http://example.com/c' })
      .expect(202);
  });

  it('public routes are unaffected by a bad token', async () => {
    await request(t.url).get('/health/live').set('Authorization', 'Bearer bad').expect(200);
    await request(t.url).get('/docs/openapi.json').set('Authorization', 'Bearer bad').expect(200);
  });
});

describe('bad-token floods are limited per client address', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', RATE_LIMIT_AUTH_FAILURES: '5', RATE_LIMIT_AUTH_WINDOW_S: '60' }),
    );
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('past N bad tokens the address gets 429 with Retry-After; a good token from it still works', async () => {
    const A = await orgWithRoles(db.owner);
    const expired = await tokenFor(A.users.member, { ttl: -60 });
    const bad = ['Bearer garbage', 'Bearer a.b.c', `Bearer ${expired}`, undefined, 'Basic dXNlcjpwYXNz'];
    const statuses: number[] = [];
    for (const auth of bad) {
      const r = request(t.url).get('/v1/threads');
      statuses.push((await (auth ? r.set('Authorization', auth) : r)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const flood = await Promise.all(
      Array.from({ length: 20 }, () => request(t.url).get('/v1/threads').set('Authorization', 'Bearer garbage')),
    );
    for (const r of flood) {
      expect(r.status).toBe(429);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.body).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), policy: 'auth' });
      const retry = Number(r.headers['retry-after']);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(12); // one more every 60/5 s
    }
    // a valid token from the same address is not limited by the flood
    const ok = await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    expect(ok.headers['ratelimit-policy']).toMatch(/^"api";/);
    // no trusted proxy (HTTP_TRUST_PROXY unset): naming another client address escapes nothing
    await request(t.url).get('/v1/threads').set('Authorization', 'Bearer garbage').set('X-Forwarded-For', '203.0.113.9').expect(429);
  });
});

describe('behind a trusted proxy (HTTP_TRUST_PROXY) bad tokens are limited per forwarded client address', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', RATE_LIMIT_AUTH_FAILURES: '2', RATE_LIMIT_AUTH_WINDOW_S: '3600', HTTP_TRUST_PROXY: '127.0.0.1' }),
    );
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it("one client's bad tokens do not spend another's budget behind the same proxy", async () => {
    const from = async (client: string) =>
      (await request(t.url).get('/v1/threads').set('Authorization', 'Bearer garbage').set('X-Forwarded-For', client)).status;
    expect([await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.1')]).toEqual([401, 401, 429]);
    expect(await from('203.0.113.2')).toBe(401); // another client behind the proxy: its own bucket
    // the address nearest the proxy counts: a client cannot prepend a fresh one
    expect(await from('198.51.100.7, 203.0.113.1')).toBe(429);
  });
});

describe('header and request timeouts', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', HTTP_HEADERS_TIMEOUT_MS: '1000' }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('a slowloris connection (headers never finished) is answered 408 and closed within the headers timeout', async () => {
    const { hostname, port } = new URL(t.url);
    const socket = connect(Number(port), hostname);
    let closedAt = 0;
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => (closedAt = Date.now()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const start = Date.now();
    socket.write(`GET /v1/threads HTTP/1.1\r\nHost: ${hostname}\r\n`);
    // one header byte every 100 ms: never idle, never finished
    const drip = setInterval(() => !socket.destroyed && socket.write('X'), 100);
    try {
      await until(() => closedAt > 0, 5000, 'the server to close the slowloris connection');
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
    const after = closedAt - start;
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(1000 + 250 + 1500); // the bound, the check interval, and slack for a busy machine
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    // the server keeps serving
    await request(t.url).get('/health/live').expect(200);
  });
});

describe('admission runs before the body is read and before the limiter', () => {
  let db: TestDb;
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    // one request in flight saturates the instance: the second of the same org is over its share
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', ADMISSION_MAX_INFLIGHT: '1' }));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await t?.close();
    await db?.drop();
  });

  it("an org over its share on a saturated instance is shed (429 overloaded) while its body is stalled; another org still gets in", async () => {
    const { tokens: a } = await orgWithRoles(db.owner);
    const { tokens: b } = await orgWithRoles(db.owner);
    const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    // A's first request is admitted in onRequest and stays in flight: its body never completes
    const first = stalledUpload(t.url, { path: '/v1/threads', headers: headers(a.member), length: 1000, sent: Buffer.from('{"ti') });
    sockets.push(first.socket);
    first.response.catch(() => undefined); // never answered: its socket is destroyed after the test
    await until(() => t.app.get(Admission).stats().total === 1, 10_000, 'the first request to be admitted');
    const second = stalledUpload(t.url, { path: '/v1/threads', headers: headers(a.member), length: 1000, sent: Buffer.from('{"ti') });
    sockets.push(second.socket);
    const shed = await second.response;
    expect(shed.status).toBe(429);
    expect(JSON.parse(shed.body).type).toMatch(/overloaded$/);
    expect(Number(shed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(shed.headers['ratelimit-policy']).toBeUndefined(); // the limiter was never asked
    // B holds nothing: not the cause, admitted
    await request(t.url).post('/v1/threads').set('authorization', `Bearer ${b.member}`).send({ title: 'b' }).expect(201);
  });
});
