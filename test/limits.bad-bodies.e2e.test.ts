import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Socket } from 'node:net';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { stalledUpload } from './support/net.js';
import { until } from './support/wait.js';

/**
 * Refused bodies are limited per user (src/modules/limits/body-refusal.limiter.ts): past
 * RATE_LIMIT_BAD_BODIES refused bodies (400/413/415/422) in its window, a user's requests with a
 * body are answered 429 before the body is read; its requests without one, the other members of
 * its org and other orgs pass.
 */
describe('refused bodies, limited per user', () => {
  let db: TestDb;
  let app: TestApp;
  const sockets: Socket[] = [];
  const LIMIT = 3;

  beforeAll(async () => {
    db = await createTestDb();
    // a window of an hour: the bucket does not refill while the test runs
    app = await startApp(envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_BAD_BODIES: String(LIMIT), RATE_LIMIT_BAD_BODY_WINDOW_S: '3600' }));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await app?.close();
    await db?.drop();
  });

  const nested = '['.repeat(4096) + ']'.repeat(4096);
  const post = (token: string, body: string) =>
    request(app.url).post('/v1/threads').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').send(body);

  it(`after ${LIMIT} refused bodies the user's next bodies are refused 429 unread; its GETs, its org's other members and other orgs pass`, async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    for (let i = 0; i < LIMIT; i++) {
      const r = await post(A.tokens.member, nested);
      expect(r.status).toBe(400);
      expect(r.body.type).toMatch(/json-too-complex$/);
    }
    // the refusals are counted after each answer: the bucket is known empty once the last count lands
    let last: request.Response | undefined;
    await until(async () => (last = await post(A.tokens.member, nested)).status === 429, 5000, 'a refused body to be answered 429');
    expect(last!.body).toMatchObject({ status: 429, policy: 'body', type: expect.stringMatching(/rate-limited$/) });
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.headers['ratelimit-policy']).toBe(`"body";q=${LIMIT};w=3600`);

    // answered before a byte of the body arrives, whatever the body: even a valid one
    const up = stalledUpload(app.url, {
      path: '/v1/threads',
      headers: { authorization: `Bearer ${A.tokens.member}`, 'content-type': 'application/json' },
      length: 512 * 1024,
      sent: Buffer.alloc(0),
    });
    sockets.push(up.socket);
    const stalled = await up.response;
    expect(stalled.status).toBe(429);
    expect(stalled.headers.connection).toBe('close');

    // the user's requests without a body still pass; another member of the org, and another org,
    // send bodies as before
    await request(app.url).get('/v1/threads').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    expect((await post(A.tokens.admin, JSON.stringify({ title: 'same org' }))).status).toBe(201);
    expect((await post(B.tokens.member, JSON.stringify({ title: 'quiet' }))).status).toBe(201);
  });

  it('valid bodies and requests without a body never take from the bucket', async () => {
    const C = await orgWithRoles(db.owner);
    for (let i = 0; i < LIMIT * 2; i++) expect((await post(C.tokens.member, JSON.stringify({ title: `t${i}` }))).status).toBe(201);
    for (let i = 0; i < LIMIT * 2; i++)
      await request(app.url).get('/v1/threads?limit=abc').set('Authorization', `Bearer ${C.tokens.member}`).expect(400);
    expect((await post(C.tokens.member, nested)).status).toBe(400);
  });
});
