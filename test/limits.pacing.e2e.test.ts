import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { until } from './support/wait.js';
import { rateLimitDecisions, rateLimitHeld } from '../src/common/metrics/metrics.js';

/**
 * RATE_LIMIT_REFUSAL_PACE_MS: a request its bucket is already known (this instance's memo) to
 * refuse is answered after the pace, or as soon as the bucket admits it, and decided again then.
 * Other orgs are not held.
 */
describe('pacing of refusals (RATE_LIMIT_REFUSAL_PACE_MS)', () => {
  const PACE_MS = 1500;
  let db: TestDb;
  let app: TestApp;
  let rootToken: string;

  beforeAll(async () => {
    db = await createTestDb();
    app = await startApp(envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_REFUSAL_PACE_MS: String(PACE_MS), USAGE_FLUSH_MS: '3600000' }), {
      imports: [LimitsTestModule],
    });
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const setLimits = (orgId: string, body: object) =>
    request(app.url).put(`/v1/admin/orgs/${orgId}/limits`).set('Authorization', `Bearer ${rootToken}`).send(body).expect(200);
  const timed = async (req: request.Test) => {
    const t0 = performance.now();
    const res = await req;
    return { res, ms: performance.now() - t0, at: performance.now() };
  };

  it('a request its emptied bucket refuses is answered after the pace, with the headers of that moment; another org meanwhile at once', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    await setLimits(A.org.id, { api: { limit: 2, window_s: 60 } });
    const org = (t: string) => request(app.url).get('/v1/org').set('Authorization', `Bearer ${t}`);
    await org(A.tokens.member).expect(200);
    await org(A.tokens.member).expect(200); // the bucket is empty now, and this instance knows it

    const first = await timed(org(A.tokens.member));
    expect(first.res.status).toBe(429);
    expect(first.ms).toBeGreaterThanOrEqual(PACE_MS - 5);

    // B, sent while A's next refusal waits, is answered before it.
    const paced = timed(org(A.tokens.member));
    const other = await timed(org(B.tokens.member));
    const second = await paced;
    expect(other.res.status).toBe(200);
    expect(second.res.status).toBe(429);
    expect(second.ms).toBeGreaterThanOrEqual(PACE_MS - 5);
    expect(other.at).toBeLessThan(second.at);
    expect(second.res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(second.res.body.type).toMatch(/\/rate-limited$/);
    // Decided after the wait: Retry-After is counted from the answer, so the later refusal's is shorter.
    const retry = (r: request.Response) => Number(r.headers['retry-after']);
    expect(retry(first.res)).toBeGreaterThan(0);
    expect(retry(first.res)).toBeLessThanOrEqual(29); // 30 s a token, counted after the 1.5 s wait
    expect(retry(second.res)).toBeGreaterThan(0);
    expect(retry(second.res)).toBeLessThan(retry(first.res));
    expect(second.res.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('a request its bucket admits within the pace waits for the token and is admitted, once (a body-cost route)', async () => {
    const C = await orgWithRoles(db.owner);
    // 2 per 2 s: a token a second, inside the pace
    await setLimits(C.org.id, { embeddings: { limit: 2, window_s: 2 } });
    const embed = () =>
      request(app.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${C.tokens.member}`).send({ input: 'hello' });
    expect((await embed()).status).toBe(201);
    expect((await embed()).status).toBe(201);
    // The memo knows the bucket empty; the next token is about a second away: held until then, then admitted.
    const after = await timed(embed());
    expect(after.res.status).toBe(201);
    expect(after.ms).toBeGreaterThanOrEqual(500);
    expect(after.ms).toBeLessThan(PACE_MS); // held for the token, not the whole pace (and not held twice)
  });

  it('a client that goes away while held ends the hold at once and is not decided or charged', async () => {
    const E = await orgWithRoles(db.owner);
    await setLimits(E.org.id, { api: { limit: 1, window_s: 60 } });
    const org = () => request(app.url).get('/v1/org').set('Authorization', `Bearer ${E.tokens.member}`);
    await org().expect(200);
    expect((await org()).status).toBe(429); // the memo knows it now
    const decisions = async (which = ['allowed', 'limited']) =>
      (await rateLimitDecisions.get()).values
        .filter((v) => v.labels.org === E.org.id && which.includes(String(v.labels.decision)))
        .reduce((n, v) => n + v.value, 0);
    const decided = await decisions();

    const { port } = new URL(app.url);
    const req = http.get({ host: '127.0.0.1', port, path: '/v1/org', headers: { authorization: `Bearer ${E.tokens.member}` } });
    req.on('error', () => undefined);
    const heldNow = async () => (await rateLimitHeld.get()).values.find((v) => v.labels.org === E.org.id)?.value ?? 0;
    await until(async () => (await heldNow()) === 1, 1000, 'the request held');
    const t0 = performance.now();
    req.destroy();
    // the hold ends on the close, long before the 1.5 s pace
    await until(async () => (await heldNow()) === 0, 1000, 'the hold to end');
    expect(performance.now() - t0).toBeLessThan(PACE_MS - 500);
    await org().expect(429); // this one is held, then decided (one decision)
    expect(await decisions()).toBe(decided + 1); // the one that went away was neither admitted nor refused
    expect(await decisions(['abandoned'])).toBe(1);
    expect(await heldNow()).toBe(0);
  });

  it('with the pace at 0 the same request is refused at once', async () => {
    const unpaced = await startApp(envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_REFUSAL_PACE_MS: '0', USAGE_FLUSH_MS: '3600000' }), {
      imports: [LimitsTestModule],
    });
    try {
      const D = await orgWithRoles(db.owner);
      await request(unpaced.url)
        .put(`/v1/admin/orgs/${D.org.id}/limits`)
        .set('Authorization', `Bearer ${rootToken}`)
        .send({ embeddings: { limit: 2, window_s: 2 } })
        .expect(200);
      const embed = () =>
        request(unpaced.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${D.tokens.member}`).send({ input: 'hello' });
      expect((await embed()).status).toBe(201);
      expect((await embed()).status).toBe(201);
      const refused = await timed(embed());
      expect(refused.res.status).toBe(429);
      expect(refused.ms).toBeLessThan(500);
    } finally {
      await unpaced.close();
    }
  });
});
