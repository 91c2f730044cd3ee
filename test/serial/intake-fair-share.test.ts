import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from '../support/db.js';
import { envFor } from '../support/env.js';
import { orgWithRoles } from '../support/fixtures.js';
import { RecordingEnqueuer, startIntakeApp } from '../support/intake.js';
import { HtmlEngine } from '../../src/modules/intake/content/html.js';

/**
 * Fair shares on the intake engines, one process, two orgs. Latency is compared by ratio within
 * the test (the quiet org alone first); the shared machine can make it flaky, never loosen it. In
 * test/serial/: run alone.
 * Rate limits are off so that only the engines decide.
 */
type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** HTML of about `bytes` bytes: paragraphs with markup, links and handlers for the sanitiser to work on. */
function bigHtml(bytes: number): string {
  const para =
    '<p onclick="x()">Granite and <b>basalt</b> are <a href="https://rocks.example/">rocks</a>. <img src=x onerror=alert(1)> More text here.</p>\n';
  const head = '<!doctype html><html><body>';
  const tail = '</body></html>';
  return head + para.repeat(Math.floor((bytes - head.length - tail.length) / para.length)) + tail;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('intake engines: one org’s heavy uploads do not stall another org', () => {
  let db: TestDb;
  let t: Awaited<ReturnType<typeof startIntakeApp>>;
  let A: Tenant;
  let B: Tenant;
  let html: HtmlEngine;
  const limit = 10 * 1024 * 1024;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startIntakeApp(
      envFor(db.appUrl, db.ownerUrl, { UPLOAD_MAX_BYTES: String(limit), RATE_LIMIT_ENABLED: 'false' }),
      new RecordingEnqueuer(),
    );
    html = t.nest.get(HtmlEngine);
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const getOrg = async (who: Tenant) => {
    const t0 = performance.now();
    const res = await request(t.url).get('/v1/org').set('Authorization', `Bearer ${who.tokens.member}`);
    expect(res.status).toBe(200);
    return performance.now() - t0;
  };

  it('while org A’s HTML upload near the upload limit is sanitised, org B’s GET /v1/org stays within 3× its latency alone', async () => {
    for (let i = 0; i < 5; i++) await getOrg(B); // warm-up
    const alone: number[] = [];
    // As many calls alone as there will be during (about 15 s of sanitising here), so that the two
    // maxima are taken over samples of similar size.
    for (let i = 0; i < 400; i++) alone.push(await getOrg(B));

    const doc = Buffer.from(bigHtml(limit - 64 * 1024));
    const upload = request(t.url)
      .post('/v1/knowledge/upload')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .attach('file', doc, { filename: 'big.html', contentType: 'text/html' })
      .then((r) => r);
    let settled = false;
    void upload.finally(() => (settled = true));
    await until(() => html.pool.scheduler.stats().running > 0 || settled, 60_000, 'the sanitiser to start');
    const during: number[] = [];
    // Calls made while the document is on the pool: each starts and ends while it is sanitised (a
    // call that outlives the pool overlaps the upload's database write, a cost outside this test).
    while (!settled && html.pool.scheduler.stats().running > 0) {
      const ms = await getOrg(B);
      if (html.pool.scheduler.stats().running > 0) during.push(ms);
    }
    const res = await upload;
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(during.length, 'B made calls while A’s document was sanitised').toBeGreaterThanOrEqual(10);
    const summary = {
      alone: { p50: pct(alone, 50), p99: pct(alone, 99), max: Math.max(...alone) },
      during: { p50: pct(during, 50), p99: pct(during, 99), max: Math.max(...during), n: during.length },
      slowest: during
        .map((ms, i) => [Math.round(ms), i])
        .sort((a, b) => b[0] - a[0])
        .slice(0, 5),
    };
    expect(summary.during.p50, JSON.stringify(summary)).toBeLessThanOrEqual(3 * summary.alone.p50);
    // The tail, not the single slowest call: one collection or a busy host can pause any one call
    // (a 53 ms maximum against 14 ms alone failed a CI run with the median during at 0.64x alone);
    // sanitising on the event loop would hold B's calls for seconds, past any tail bound.
    expect(summary.during.p99, JSON.stringify(summary)).toBeLessThanOrEqual(3 * summary.alone.p99);
  }, 180_000);
});

describe('intake engines: a per-org queue bound', () => {
  let db: TestDb;
  let t: Awaited<ReturnType<typeof startIntakeApp>>;
  let A: Tenant;
  let B: Tenant;
  let html: HtmlEngine;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startIntakeApp(
      envFor(db.appUrl, db.ownerUrl, {
        UPLOAD_MAX_BYTES: String(4 * 1024 * 1024),
        RATE_LIMIT_ENABLED: 'false',
        PARSE_THREADS: '1',
        PARSE_MAX_QUEUED_PER_ORG: '1',
      }),
      new RecordingEnqueuer(),
    );
    html = t.nest.get(HtmlEngine);
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const upload = (who: Tenant, doc: Buffer) =>
    request(t.url)
      .post('/v1/knowledge/upload')
      .set('Authorization', `Bearer ${who.tokens.member}`)
      .attach('file', doc, { filename: 'page.html', contentType: 'text/html' })
      .then((r) => r);

  it('reached, answers that org 429 overloaded with Retry-After, while another org’s upload still succeeds', async () => {
    const doc = Buffer.from(bigHtml(3 * 1024 * 1024));
    const stats = () => html.pool.scheduler.stats();
    const first = upload(A, doc);
    await until(() => stats().running === 1, 60_000, 'A’s first document on the pool');
    const second = upload(A, doc);
    let secondDone = false;
    void second.finally(() => (secondDone = true));
    await until(() => stats().waiting[A.org.id] === 1, 60_000, 'A’s second document in its queue');

    const refused = await upload(A, doc);
    expect(refused.status, JSON.stringify(refused.body)).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body.type).toMatch(/overloaded$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // B has a queue of its own, and is served before A's queued document.
    const other = await upload(B, Buffer.from('<!doctype html><p>quiet <b>org</b></p>'));
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    expect(secondDone, 'B was served before A’s queued document').toBe(false);

    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
  }, 180_000);
});
