import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { request as httpRequest } from 'node:http';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { LimitsTestModule } from './support/limits-test.module.js';
import { UsageService } from '../src/modules/limits/usage.service.js';
import { UsageUnit } from '../src/modules/limits/limits.types.js';
import { ttsCharsCharged } from '../src/modules/tts/tts.service.js';
import { rateLimitDecisions } from '../src/common/metrics/metrics.js';
import { until } from './support/wait.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

const parseRateLimit = (h: string) =>
  Object.fromEntries(
    h.split(/,\s*/).map((item) => {
      const [name, ...params] = item.split(';');
      return [
        JSON.parse(name),
        Object.fromEntries(params.map((p) => p.split('=').map((x, i) => (i ? Number(x) : x)))),
      ];
    }),
  ) as Record<string, Record<string, number>>;

/** Two instances sharing one database AND one Redis prefix, like two replicas of a deployment; a super_admin token. */
async function startPair(db: TestDb, extra: Record<string, string> = {}) {
  const env = envFor(db.appUrl, db.ownerUrl, { USAGE_FLUSH_MS: '3600000', ...extra });
  const [one, two] = await Promise.all([
    startApp(env, { imports: [LimitsTestModule] }),
    startApp(env, { imports: [LimitsTestModule] }),
  ]);
  return { one, two, rootToken: await tokenFor(await createUser(db.owner, { superAdmin: true })) };
}

describe('per-org rate limits across two instances', () => {
  let db: TestDb;
  let one: TestApp;
  let two: TestApp;
  let rootToken: string;

  beforeAll(async () => {
    db = await createTestDb();
    ({ one, two, rootToken } = await startPair(db));
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await db?.drop();
  });

  const setLimits = (app: TestApp, orgId: string, body: object, token = rootToken) =>
    request(app.url).put(`/v1/admin/orgs/${orgId}/limits`).set('Authorization', `Bearer ${token}`).send(body);
  const embed = (app: TestApp, t: Tenant, input: string | string[] = 'hello') =>
    request(app.url)
      .post('/v1/test-limits/embed')
      .set('Authorization', `Bearer ${t.tokens.member}`)
      .send({ input });

  it('3x the limit at once from one org over two instances: exactly `limit` pass; another org is untouched', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    const limit = 10;
    await setLimits(one, A.org.id, { embeddings: { limit, window_s: 60 } }).expect(200);
    await setLimits(one, B.org.id, { embeddings: { limit, window_s: 60 } }).expect(200);
    const burst = Array.from({ length: limit * 3 }, (_, i) => embed(i % 2 ? one : two, A));
    const other = Array.from({ length: limit }, (_, i) => embed(i % 2 ? one : two, B));
    const [a, b] = await Promise.all([Promise.all(burst), Promise.all(other)]);

    expect(a.filter((r) => r.status === 201).length).toBe(limit);
    const refused = a.filter((r) => r.status !== 201);
    expect(refused.length).toBe(limit * 2);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.body.type).toMatch(/\/rate-limited$/);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(r.headers['x-ratelimit-remaining']).toBe('0');
    }
    expect(b.map((r) => r.status)).toEqual(Array(limit).fill(201));
  });

  it('headers per SPEC §4: remaining counts down, reset is when the bucket is full again, policies named', async () => {
    const C = await orgWithRoles(db.owner);
    // 5 per 30 s: a token every 6 s, 5 at once from a full bucket
    await setLimits(one, C.org.id, { embeddings: { limit: 5, window_s: 30 } }).expect(200);
    for (let i = 0; i < 5; i++) {
      const r = await embed(i % 2 ? one : two, C).expect(201);
      expect(r.headers['ratelimit-policy']).toMatch(/^"api";q=\d+;w=60, "embeddings";q=5;w=30, "bytes";q=\d+;w=60;burst=\d+$/);
      const state = parseRateLimit(r.headers['ratelimit']);
      expect(state.embeddings.r).toBe(4 - i);
      expect(Number(r.headers['x-ratelimit-limit'])).toBe(5);
      expect(Number(r.headers['x-ratelimit-remaining'])).toBe(state.embeddings.r);
      const reset = Number(r.headers['x-ratelimit-reset']);
      expect(state.embeddings.t).toBe(reset);
      expect(reset).toBeGreaterThanOrEqual(6 * (i + 1) - 1);
      expect(reset).toBeLessThanOrEqual(6 * (i + 1));
    }
    const refused = await embed(one, C).expect(429);
    const retry = Number(refused.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(6);
    expect(refused.headers['ratelimit']).toMatch(/"embeddings";r=0;t=\d+/);
    // Plain tenant routes carry the general per-org policy.
    const plain = await request(two.url)
      .get('/v1/threads')
      .set('Authorization', `Bearer ${C.tokens.member}`)
      .expect(200);
    expect(plain.headers['ratelimit-policy']).toMatch(/^"api";q=6000;w=60$/);
    expect(plain.headers['x-ratelimit-limit']).toBe('6000');
  });

  it('15 at once on a 5/min policy over two instances: exactly 5 pass, each remaining is true; Retry-After is when one more passes', async () => {
    const K = await orgWithRoles(db.owner);
    await setLimits(one, K.org.id, { embeddings: { limit: 5, window_s: 60 } }).expect(200);
    const rs = await Promise.all(Array.from({ length: 15 }, (_, i) => embed(i % 2 ? one : two, K)));
    const ok = rs.filter((r) => r.status === 201);
    expect(ok).toHaveLength(5);
    const remaining = ok.map((r) => parseRateLimit(r.headers['ratelimit']).embeddings.r).sort();
    expect(remaining).toEqual([0, 1, 2, 3, 4]);
    expect(ok.map((r) => Number(r.headers['x-ratelimit-remaining'])).sort()).toEqual([0, 1, 2, 3, 4]);
    const refused = rs.filter((r) => r.status !== 201);
    const retries = refused.map((r) => Number(r.headers['retry-after']));
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ policy: 'embeddings' });
      expect(r.headers['ratelimit']).toMatch(/"embeddings";r=0;t=\d+/);
    }
    for (const s of retries) expect(s).toBeGreaterThanOrEqual(1);
    for (const s of retries) expect(s).toBeLessThanOrEqual(12); // one token every 12 s
    // Nothing passes before Retry-After; one (and only one) passes once it is over.
    const start = Date.now();
    const passed = await until(async () => {
      const r = await embed(one, K);
      return r.status === 201 ? r : undefined;
    }, 20_000);
    expect(Date.now() - start).toBeGreaterThanOrEqual((Math.min(...retries) - 1) * 1000);
    expect(parseRateLimit(passed!.headers['ratelimit']).embeddings.r).toBe(0);
    await embed(two, K).expect(429);
  }, 30_000);

  it('burst is configurable per policy: fewer at once, the same rate; validated', async () => {
    const L = await orgWithRoles(db.owner);
    const put = await setLimits(one, L.org.id, { embeddings: { limit: 6, window_s: 60, burst: 2 } }).expect(
      200,
    );
    expect(put.body.policies.embeddings).toMatchObject({ limit: 6, burst: 2, source: 'org' });
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => embed(i % 2 ? one : two, L)));
    expect(rs.filter((r) => r.status === 201)).toHaveLength(2);
    const ok = rs.find((r) => r.status === 201)!;
    expect(ok.headers['ratelimit-policy']).toContain('"embeddings";q=6;w=60;burst=2');
    for (const bad of [
      { embeddings: { burst: 0 } },
      { embeddings: { burst: 1.5 } },
      { embeddings: { burst: 'x' } },
    ])
      expect((await setLimits(one, L.org.id, bad)).status, JSON.stringify(bad)).toBe(400);
    const reset = await setLimits(one, L.org.id, { embeddings: { burst: null } }).expect(200);
    expect(reset.body.policies.embeddings).toMatchObject({ limit: 6, burst: 6 });
  });

  it('an override via the admin route changes the ceiling on both instances, without restart', async () => {
    const D = await orgWithRoles(db.owner);
    // Both instances have the defaults cached.
    for (const app of [one, two]) {
      const r = await request(app.url)
        .get('/v1/org/limits')
        .set('Authorization', `Bearer ${D.tokens.viewer}`)
        .expect(200);
      expect(r.body.policies.embeddings).toMatchObject({ limit: 3000, source: 'default' });
    }
    const put = await setLimits(one, D.org.id, {
      embeddings: { limit: 3 },
      tts: { limit: 50, window_s: 10, concurrency: 2 },
      job_concurrency: 2,
      job_rate: 3,
    }).expect(200);
    expect(put.body.policies.embeddings).toMatchObject({ limit: 3, window_s: 60, source: 'org' });
    await until(async () => {
      const r = await request(two.url)
        .get('/v1/org/limits')
        .set('Authorization', `Bearer ${D.tokens.viewer}`)
        .expect(200);
      return r.body.policies.embeddings.limit === 3;
    });
    const r = await request(two.url)
      .get('/v1/org/limits')
      .set('Authorization', `Bearer ${D.tokens.viewer}`)
      .expect(200);
    expect(r.body).toMatchObject({
      job_concurrency: 2,
      job_rate: 3,
      policies: { tts: { limit: 50, window_s: 10, concurrency: 2 }, api: { source: 'default' } },
    });
    const statuses = [
      (await embed(one, D)).status,
      (await embed(two, D)).status,
      (await embed(one, D)).status,
      (await embed(two, D)).status,
    ];
    expect(statuses).toEqual([201, 201, 201, 429]);

    // Omitted policies keep their value; null resets one to the default.
    await setLimits(two, D.org.id, { tts: null }).expect(200);
    const after = await request(one.url)
      .get('/v1/org/limits')
      .set('Authorization', `Bearer ${D.tokens.viewer}`)
      .expect(200);
    expect(after.body.policies.embeddings.limit).toBe(3);
    expect(after.body.policies.tts).toMatchObject({ limit: 600, window_s: 60, source: 'default' });
    expect(after.body.job_rate).toBe(3); // omitted: kept
    const reset = await setLimits(one, D.org.id, { job_rate: null }).expect(200);
    expect(reset.body.job_rate).toBeNull();
    expect(reset.body.job_concurrency).toBe(2);
  });

  it('only a super_admin writes limits (403 for an org owner); bodies are validated; unknown org → 404', async () => {
    const E = await orgWithRoles(db.owner);
    const denied = await setLimits(one, E.org.id, { embeddings: { limit: 1 } }, E.tokens.owner);
    expect(denied.status).toBe(403);
    expect(denied.body.type).toMatch(/forbidden$/);
    for (const bad of [
      { embeddings: { limit: 0 } },
      { embeddings: { limit: 'x' } },
      { nope: {} },
      { job_concurrency: 0 },
      { job_rate: 0 },
      { job_rate: 2.5 },
      { quotas: { tts_characters: -1 } },
      { tts: { window_s: 1.5 } },
    ]) {
      const r = await setLimits(one, E.org.id, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.type).toMatch(/validation$/);
    }
    await setLimits(one, '00000000-0000-4000-8000-000000000000', { embeddings: { limit: 1 } }).expect(404);
    const r = await request(one.url)
      .get('/v1/org/limits')
      .set('Authorization', `Bearer ${E.tokens.owner}`)
      .expect(200);
    expect(r.body.policies.embeddings.source).toBe('default');
  });

  it('request bodies are charged under `bytes` by their length (a chunked one as the most its route accepts), refused before they are read; another org untouched', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    // 64 KiB an hour: nothing refills meanwhile
    await setLimits(one, A.org.id, { bytes: { limit: 64, window_s: 3600 } }).expect(200);
    const body = { s: 'x'.repeat(19_992) }; // 20,000 bytes of JSON: 20 KiB (started KiB)
    expect(JSON.stringify(body).length).toBe(20_000);
    const echo = (app: TestApp, t: Tenant) =>
      request(app.url).post('/v1/test-limits/echo').set('Authorization', `Bearer ${t.tokens.member}`).send(body);
    for (const [i, app] of [one, two, one].entries()) {
      const r = await echo(app, A).expect(201);
      expect(r.headers['ratelimit-policy']).toMatch(/^"api";q=\d+;w=60, "bytes";q=64;w=3600$/);
      expect(parseRateLimit(r.headers['ratelimit']).bytes.r).toBe(64 - 20 * (i + 1));
    }
    const refused = await echo(two, A);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ policy: 'bytes' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // what fits still passes (4 KiB are left), and a request without a body is not charged
    await request(one.url)
      .post('/v1/test-limits/echo')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .send({ s: 'x'.repeat(3000) })
      .expect(201);
    const ping = await request(two.url).get('/v1/test-limits/ping').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    expect(ping.headers['ratelimit-policy']).not.toMatch(/bytes/);
    // refused before a byte of the body is read: the answer comes while the body is never sent
    const early = await new Promise<{ status: number; type: string }>((resolve, reject) => {
      const req = httpRequest(`${one.url}/v1/test-limits/echo`, {
        method: 'POST',
        headers: { authorization: `Bearer ${A.tokens.member}`, 'content-type': 'application/json', 'content-length': '20000' },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, type: JSON.parse(text).type }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(early.status).toBe(429);
    expect(early.type).toMatch(/\/rate-limited$/);
    // another org's bucket is its own
    for (let i = 0; i < 4; i++) await echo(i % 2 ? one : two, B).expect(201);
    // a chunked body (no Content-Length) costs the most its route accepts, BODY_LIMIT_BYTES (1 MiB)
    const C = await orgWithRoles(db.owner);
    await setLimits(one, C.org.id, { bytes: { limit: 3000, window_s: 3600 } }).expect(200);
    const chunked = await fetch(`${two.url}/v1/test-limits/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${C.tokens.member}`, 'content-type': 'application/json' },
      body: new Blob(['{"a":1}']).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(201);
    expect(parseRateLimit(chunked.headers.get('ratelimit')!).bytes.r).toBe(3000 - 1024);
  });

  it('on a route whose cost is read from its body, the body\'s `bytes` are taken before it is read: a request its own bucket then refuses does not make them free', async () => {
    const A = await orgWithRoles(db.owner);
    await setLimits(one, A.org.id, { embeddings: { limit: 1, window_s: 3600 }, bytes: { limit: 64, window_s: 3600 } }).expect(200);
    const input = 'x'.repeat(19_989); // {"input":"…"}: 20,000 bytes, 20 KiB
    const first = await embed(one, A, input).expect(201);
    expect(parseRateLimit(first.headers['ratelimit']).bytes.r).toBe(44);
    // the embeddings bucket is empty now; the other instance has not seen it (no memo refuses early)
    const refused = await embed(two, A, input);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ policy: 'embeddings' });
    expect(parseRateLimit(refused.headers['ratelimit']).bytes.r).toBe(24);
    // its bytes are spent: one more body of 20 KiB fits, the next is refused under `bytes`
    const echo = () =>
      request(two.url).post('/v1/test-limits/echo').set('Authorization', `Bearer ${A.tokens.member}`).send({ s: 'x'.repeat(19_992) });
    await echo().expect(201);
    const over = await echo();
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ policy: 'bytes' });
  });

  it('a batch of 100 inputs costs 100; a request larger than the whole limit is 413', async () => {
    const F = await orgWithRoles(db.owner);
    // 150 per hour: a token every 24 s, so nothing refills while the test runs
    await setLimits(one, F.org.id, { embeddings: { limit: 150, window_s: 3600 } }).expect(200);
    const batch = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const r = await embed(one, F, batch).expect(201);
    expect(r.headers['x-ratelimit-remaining']).toBe('50');
    await embed(two, F, batch).expect(429);
    await embed(
      two,
      F,
      Array.from({ length: 151 }, () => 'x'),
    ).expect(413);
    const ok = await embed(two, F, batch.slice(0, 50)).expect(201);
    expect(ok.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('usage: N embedding inputs and M TTS characters are reported exactly, for that org only', async () => {
    const G = await orgWithRoles(db.owner);
    const H = await orgWithRoles(db.owner);
    const inputs = [['a', 'b', 'c'], 'd', Array.from({ length: 12 }, () => 'e')];
    const N = 3 + 1 + 12;
    for (const [i, input] of inputs.entries()) await embed(i % 2 ? one : two, G, input).expect(201);
    const texts = ['Hello there.', 'A second, slightly longer sentence. And one more!'];
    const M = texts.reduce((s, x) => s + ttsCharsCharged(x), 0); // each sentence at least the floor
    for (const [i, text] of texts.entries()) {
      await request((i % 2 ? one : two).url)
        .post('/v1/tts')
        .set('Authorization', `Bearer ${G.tokens.member}`)
        .send({ text })
        .expect(200);
    }
    // Usage known only later (pages a crawl job fetched) is metered by the service directly.
    await two.app.get(UsageService).record(G.org.id, UsageUnit.CrawledPages, 7);
    // Before a flush the answer already includes pending usage...
    const pending = await request(one.url)
      .get('/v1/org/usage')
      .set('Authorization', `Bearer ${G.tokens.viewer}`)
      .expect(200);
    expect(pending.body.totals).toMatchObject({ embedding_inputs: N, tts_characters: M, crawled_pages: 7 });
    // ...and after it, the rows are in Postgres (batched, not a write per request).
    await one.app.get(UsageService).flush();
    await two.app.get(UsageService).flush();
    const stored = await asOrg(db.owner, G.org.id, (c) =>
      c.query<{ unit: string; amount: string }>(
        `SELECT unit, amount FROM usage_daily WHERE org_id = $1 ORDER BY unit`,
        [G.org.id],
      ),
    );
    expect(stored.rows.map((r) => [r.unit, Number(r.amount)])).toEqual([
      ['crawled_pages', 7],
      ['embedding_inputs', N],
      ['tts_characters', M],
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const res = await request(two.url)
      .get(`/v1/org/usage?from=${today}&to=${today}`)
      .set('Authorization', `Bearer ${G.tokens.viewer}`)
      .expect(200);
    expect(res.body.totals).toEqual({
      tts_characters: M,
      embedding_inputs: N,
      crawled_pages: 7,
      ocr_pages: 0,
    });
    expect(res.body.data).toEqual(
      expect.arrayContaining([
        { day: today, unit: 'embedding_inputs', amount: N },
        { day: today, unit: 'tts_characters', amount: M },
      ]),
    );
    // flushed once, counted once
    await one.app.get(UsageService).flush();
    const again = await request(one.url)
      .get('/v1/org/usage')
      .set('Authorization', `Bearer ${G.tokens.viewer}`)
      .expect(200);
    expect(again.body.totals).toMatchObject({ embedding_inputs: N, tts_characters: M });
    const other = await request(one.url)
      .get('/v1/org/usage')
      .set('Authorization', `Bearer ${H.tokens.viewer}`)
      .expect(200);
    expect(other.body.data).toEqual([]);
    expect(other.body.totals).toEqual({
      tts_characters: 0,
      embedding_inputs: 0,
      crawled_pages: 0,
      ocr_pages: 0,
    });
    // a day that does not exist is named as such (it compared as text before: "from must not be after to")
    for (const [query, field] of [['from=2026-13-01', 'from'], ['from=2026-02-01&to=2026-02-30', 'to']]) {
      const bad = await request(one.url).get(`/v1/org/usage?${query}`).set('Authorization', `Bearer ${H.tokens.viewer}`).expect(400);
      expect(bad.body.errors?.[field], JSON.stringify(bad.body)).toEqual([`${field} must be a calendar day, YYYY-MM-DD`]);
    }
    await request(one.url)
      .get('/v1/org/usage?from=2026-02-01&to=2026-01-01')
      .set('Authorization', `Bearer ${H.tokens.viewer}`)
      .expect(400);
  });

  it('a monthly quota of Q stops the (Q+1)th unit with a quota-exceeded problem', async () => {
    const Q = 5;
    const I = await orgWithRoles(db.owner);
    await setLimits(one, I.org.id, { quotas: { embedding_inputs: Q } }).expect(200);
    const got: number[] = [];
    for (let i = 0; i < Q; i++) got.push((await embed(i % 2 ? one : two, I)).status);
    expect(got).toEqual(Array(Q).fill(201));
    const over = await embed(one, I);
    expect(over.status).toBe(429);
    expect(over.body.type).toMatch(/\/quota-exceeded$/);
    expect(over.body.type).not.toMatch(/rate-limited/);
    expect(over.body).toMatchObject({ unit: 'embedding_inputs', quota: Q, used: Q });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // The per-minute limit was not what stopped it.
    expect(Number(over.headers['x-ratelimit-remaining'])).toBeGreaterThan(0);
    // Raising the quota lets work through again.
    await setLimits(two, I.org.id, { quotas: { embedding_inputs: Q + 1 } }).expect(200);
    await until(async () => (await embed(one, I)).status === 201);
  });

  it('dry-run counts and reports but never blocks', async () => {
    const J = await orgWithRoles(db.owner);
    await setLimits(one, J.org.id, { embeddings: { limit: 2, dry_run: true } }).expect(200);
    const dryCount = async () =>
      (await rateLimitDecisions.get()).values
        .filter((v) => v.labels.org === J.org.id && v.labels.decision === 'dry_run_limited')
        .reduce((s, v) => s + v.value, 0);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await embed(one, J)).status);
    expect(statuses).toEqual(Array(5).fill(201));
    expect(await dryCount()).toBe(3);
    const r = await request(one.url)
      .get('/v1/org/limits')
      .set('Authorization', `Bearer ${J.tokens.viewer}`)
      .expect(200);
    expect(r.body.policies.embeddings).toMatchObject({ limit: 2, dry_run: true });
  });
});

describe('search is charged under `search`; a caller without an org under `user`', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, {
        ROCKER_ROLE: 'api',
        RATE_LIMIT_DEFAULTS: JSON.stringify({ user: { limit: 3, window_s: 60 } }),
      }),
    );
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const search = (path: 'private' | 'market', token: string) =>
    request(t.url)
      .post(`/v1/search/${path}`)
      .set('Authorization', `Bearer ${token}`)
      .send({ query: 'rain', k: 3 });

  it('with search at 1 per window, the second private search and the second market search are refused', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    for (const org of [A, B])
      await request(t.url)
        .put(`/v1/admin/orgs/${org.org.id}/limits`)
        .set('Authorization', `Bearer ${root}`)
        .send({ search: { limit: 1, window_s: 60 } })
        .expect(200);

    const first = await search('private', A.tokens.member).expect(200);
    expect(first.headers['ratelimit-policy']).toBe('"api";q=6000;w=60, "search";q=1;w=60, "bytes";q=262144;w=60;burst=65536');
    const second = await search('private', A.tokens.member);
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ policy: 'search' });
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);

    // The market route needs no org, but a caller with one (no X-Org-Id: the only membership) is charged to it.
    const market = await search('market', B.tokens.member).expect(200);
    expect(market.headers['ratelimit-policy']).toBe('"api";q=6000;w=60, "search";q=1;w=60, "bytes";q=262144;w=60;burst=65536');
    const again = await search('market', B.tokens.member);
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ policy: 'search' });
    // Each query embedded one input: metered for the org that was charged.
    const usage = await request(t.url)
      .get('/v1/org/usage')
      .set('Authorization', `Bearer ${B.tokens.viewer}`)
      .expect(200);
    expect(usage.body.totals.embedding_inputs).toBe(1);
  });

  it('a user with no org is limited under `user`, keyed by user id (nothing is unlimited)', async () => {
    const loner = await tokenFor(await createUser(db.owner));
    const other = await tokenFor(await createUser(db.owner));
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await search('market', loner);
      statuses.push(r.status);
      if (r.status === 429) refused ??= r;
      else expect(r.headers['ratelimit-policy']).toBe('"user";q=3;w=60, "search";q=600;w=60, "bytes";q=262144;w=60;burst=65536');
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(refused!.body).toMatchObject({ policy: 'user' });
    expect(refused!.headers['ratelimit']).toMatch(/"user";r=0;t=\d+/);
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(0);
    // Another user's budget is their own.
    await search('market', other).expect(200);
  });
});
