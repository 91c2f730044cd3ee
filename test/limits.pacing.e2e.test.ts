import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { performance } from 'node:perf_hooks';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';

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
    expect(retry(second.res)).toBeGreaterThan(0);
    expect(retry(second.res)).toBeLessThan(retry(first.res));
    expect(second.res.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('a request its bucket admits within the pace is admitted after the wait, not refused', async () => {
    const C = await orgWithRoles(db.owner);
    // 10 a second: a token every 100 ms, well inside the pace
    await setLimits(C.org.id, { embeddings: { limit: 10, window_s: 1 } });
    const embed = () =>
      request(app.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${C.tokens.member}`).send({ input: 'hello' });
    const burst = await Promise.all(Array.from({ length: 14 }, () => embed()));
    expect(burst.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(10);
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    // The memo knows the bucket empty; the next token is at most 100 ms away: this one waits for it.
    const after = await embed();
    expect(after.status).toBe(201);
  });

  it('with the pace at 0 the same request is refused at once (what the test above would see unpaced)', async () => {
    const unpaced = await startApp(envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_REFUSAL_PACE_MS: '0', USAGE_FLUSH_MS: '3600000' }), {
      imports: [LimitsTestModule],
    });
    try {
      const D = await orgWithRoles(db.owner);
      await request(unpaced.url)
        .put(`/v1/admin/orgs/${D.org.id}/limits`)
        .set('Authorization', `Bearer ${rootToken}`)
        .send({ embeddings: { limit: 10, window_s: 1 } })
        .expect(200);
      const embed = () =>
        request(unpaced.url).post('/v1/test-limits/embed').set('Authorization', `Bearer ${D.tokens.member}`).send({ input: 'hello' });
      await Promise.all(Array.from({ length: 14 }, () => embed()));
      expect((await embed()).status).toBe(429);
    } finally {
      await unpaced.close();
    }
  });
});
