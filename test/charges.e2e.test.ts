import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { makePdf, textPng } from './support/files.js';
import { insertJobs } from './support/ingest.js';
import { until } from './support/wait.js';
import { IngestQueues } from '../src/modules/ingest/ingest.queues.js';
import { JobKind } from '../src/modules/ingest/ingest.types.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

const policyState = (h: string | undefined, policy: string) => {
  const m = new RegExp(`"${policy}";r=(\\d+);t=(\\d+)`).exec(h ?? '');
  return m ? { r: Number(m[1]), t: Number(m[2]) } : undefined;
};

/** API only (ROCKER_ROLE=api): jobs stay queued, OCR and PDF parsing of uploads run in the request. */
describe('every costly path is charged where it is spent', () => {
  let db: TestDb;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', USAGE_FLUSH_MS: '3600000' }));
    root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const setLimits = (org: Tenant, body: object) =>
    request(t.url).put(`/v1/admin/orgs/${org.org.id}/limits`).set('Authorization', `Bearer ${root}`).send(body).expect(200);
  const as = (org: Tenant, r: request.Test) => r.set('Authorization', `Bearer ${org.tokens.member}`);
  const upload = (org: Tenant, data: Buffer, name: string) =>
    as(org, request(t.url).post('/v1/knowledge/upload')).attach('file', data, name);
  const usage = async (org: Tenant) => (await as(org, request(t.url).get('/v1/org/usage')).expect(200)).body.totals;
  const items = (org: Tenant) =>
    asOrg(db.owner, org.org.id, async (c) => (await c.query(`SELECT count(*)::int AS n FROM knowledge_items`)).rows[0].n as number);

  it('POST /v1/embeddings: a long input costs one unit per started 1,000 characters, in the bucket and the usage; past 4,000 characters it is refused', async () => {
    const F = await orgWithRoles(db.owner);
    await setLimits(F, { embeddings: { limit: 100, window_s: 3600 } });
    const embed = (input: string | string[]) => as(F, request(t.url).post('/v1/embeddings')).send({ input });
    // 1 + 2 + 4 units: 999, 1,001 and 4,000 characters
    const r = await embed(['a'.repeat(999), 'b'.repeat(1001), 'c'.repeat(4000)]).expect(200);
    expect(r.body.data).toHaveLength(3);
    expect(r.headers['x-ratelimit-remaining']).toBe('93');
    const single = await embed('d'.repeat(2500)).expect(200);
    expect(single.headers['x-ratelimit-remaining']).toBe('90');
    expect((await usage(F)).embedding_inputs).toBe(10);
    const long = await embed(['short', 'e'.repeat(4001)]);
    expect(long.status).toBe(400);
    expect(long.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('a search counts its query as an embedding input: one unit, two past 1,000 characters, in the bucket and the usage', async () => {
    const S = await orgWithRoles(db.owner);
    await setLimits(S, { search: { limit: 10, window_s: 3600 } });
    const search = (path: string, query: string) =>
      as(S, request(t.url).post(`/v1/search/${path}`)).set('X-Org-Id', S.org.id).send({ query });
    expect((await search('private', 'q'.repeat(1000)).expect(200)).headers['x-ratelimit-remaining']).toBe('9');
    expect((await search('private', 'r'.repeat(1001)).expect(200)).headers['x-ratelimit-remaining']).toBe('7');
    expect((await search('market', 's'.repeat(2000)).expect(200)).headers['x-ratelimit-remaining']).toBe('5');
    expect((await usage(S)).embedding_inputs).toBe(5);
  });

  it('POST /v1/knowledge {url}: charged to `crawl` (bucket, quota, usage); the second call at 1 per window is refused', async () => {
    const A = await orgWithRoles(db.owner);
    await setLimits(A, { crawl: { limit: 1, window_s: 60 } });
    const first = await as(A, request(t.url).post('/v1/knowledge')).send({ title: 'page', url: 'http://example.com/a' }).expect(201);
    expect(first.headers['ratelimit-policy']).toMatch(/^"api";q=\d+;w=60, "bytes";q=\d+;w=60;burst=\d+, "crawl";q=1;w=60$/);
    expect(policyState(first.headers['ratelimit'], 'crawl')).toMatchObject({ r: 0 });
    expect(first.headers['x-ratelimit-limit']).toBe('1');
    const second = await as(A, request(t.url).post('/v1/knowledge')).send({ title: 'page', url: 'http://example.com/b' });
    expect(second.status).toBe(429);
    expect(second.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(second.body).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), policy: 'crawl' });
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    // the same bucket as POST /v1/crawl; text needs no crawl and still passes
    await as(A, request(t.url).post('/v1/crawl')).send({ title: 'page', url: 'http://example.com/c' }).expect(429);
    await as(A, request(t.url).post('/v1/knowledge')).send({ title: 't', text: 'plain text' }).expect(201);
    expect(await items(A)).toBe(2); // the refused URL left no item
    expect((await usage(A)).crawled_pages).toBe(1);
  });

  it('the crawl quota stops a URL item with quota-exceeded', async () => {
    const B = await orgWithRoles(db.owner);
    await setLimits(B, { quotas: { crawled_pages: 1 } });
    await as(B, request(t.url).post('/v1/knowledge')).send({ title: 'page', url: 'http://example.com/a' }).expect(201);
    const over = await as(B, request(t.url).post('/v1/knowledge')).send({ title: 'page', url: 'http://example.com/b' });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), unit: 'crawled_pages', quota: 1, used: 1 });
  });

  it('an upload that needs OCR: one `ocr` unit and one ocr_page; the second at 1 per window is refused (text uploads are not)', async () => {
    const C = await orgWithRoles(db.owner);
    await setLimits(C, { ocr: { limit: 1, window_s: 60 } });
    const png = textPng(['ROCKS']);
    const first = await upload(C, png, 'a.png').expect(201);
    expect(policyState(first.headers['ratelimit'], 'ocr')).toMatchObject({ r: 0 });
    const second = await upload(C, png, 'b.png');
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ type: expect.stringMatching(/\/rate-limited$/), policy: 'ocr' });
    const txt = await upload(C, Buffer.from('just text'), 'c.txt').expect(201);
    expect(txt.headers['ratelimit-policy']).not.toContain('"ocr"');
    expect((await usage(C)).ocr_pages).toBe(1);
  });

  it('a PDF upload: its pages are `ocr` units and ocr_pages; the second at 1 per window is refused before parsing', async () => {
    const D = await orgWithRoles(db.owner);
    await setLimits(D, { ocr: { limit: 1, window_s: 60 } });
    await upload(D, makePdf(1, ['Granite is igneous.']), 'a.pdf').expect(201);
    const second = await upload(D, makePdf(1, ['Basalt is volcanic.']), 'b.pdf');
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ policy: 'ocr' });
    expect(await items(D)).toBe(1);

    const E = await orgWithRoles(db.owner);
    await setLimits(E, { ocr: { limit: 10, window_s: 3600 } }); // one unit every 6 minutes: nothing refills meanwhile
    const three = await upload(E, makePdf(3, ['one', 'two', 'three']), 'three.pdf').expect(201);
    expect((await usage(E)).ocr_pages).toBe(3);
    // the answer names the policy charged, as its bucket stands after all three pages
    expect(three.headers['ratelimit-policy']).toMatch(/^"api";q=\d+;w=60, "bytes";q=\d+;w=60;burst=\d+, "ocr";q=10;w=3600$/);
    expect(policyState(three.headers['ratelimit'], 'ocr')).toMatchObject({ r: 7 });
    expect(three.headers['x-ratelimit-limit']).toBe('10');
    expect(three.headers['x-ratelimit-remaining']).toBe('7');
    // 3 pages taken from the bucket of 10: the next OCR'd image leaves 6
    const next = await upload(E, textPng(['ROCK']), 'x.png').expect(201);
    expect(policyState(next.headers['ratelimit'], 'ocr')).toMatchObject({ r: 6 });
  });

  it('a manual retry of a failed crawl job is charged again: at 1 per window the second retry is refused', async () => {
    const F = await orgWithRoles(db.owner);
    await setLimits(F, { crawl: { limit: 1, window_s: 60 } });
    const [id] = await insertJobs(db.owner, F.org.id, 1, {}, { kind: 'crawl' });
    const fail = () =>
      asOrg(db.owner, F.org.id, (c) =>
        c.query(`UPDATE ingest_jobs SET status = 'failed', attempts = 5, last_error = 'boom', finished_at = now() WHERE id = $1`, [id]),
      );
    await fail();
    const first = await as(F, request(t.url).post(`/v1/ingest/jobs/${id}/retry`)).expect(200);
    expect(first.body).toMatchObject({ status: 'queued', attempts: 0 });
    expect(policyState(first.headers['ratelimit'], 'crawl')).toMatchObject({ r: 0 });
    await fail();
    const second = await as(F, request(t.url).post(`/v1/ingest/jobs/${id}/retry`));
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ policy: 'crawl' });
    const row = await as(F, request(t.url).get(`/v1/ingest/jobs/${id}`)).expect(200);
    expect(row.body.status).toBe('failed'); // refused: nothing changed
    expect((await usage(F)).crawled_pages).toBe(1);
  });

  it('per-org cap of queued jobs: past it 429 quota-exceeded, nothing stored, the queued jobs untouched; admin-set and validated', async () => {
    const G = await orgWithRoles(db.owner);
    const put = await setLimits(G, { caps: { queued_jobs: 2 } });
    expect(put.body.caps).toEqual({ queued_jobs: 2, stored_chunks: 1_000_000, stored_bytes: 10 * 1024 ** 3 });
    await as(G, request(t.url).post('/v1/knowledge')).send({ title: 'a', text: 'x' }).expect(201);
    await as(G, request(t.url).post('/v1/knowledge')).send({ title: 'b', text: 'y' }).expect(201);
    const over = await as(G, request(t.url).post('/v1/knowledge')).send({ title: 'c', text: 'z' });
    expect(over.status).toBe(429);
    expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(over.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), cap: 'queued_jobs', limit: 2, used: 2 });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(await items(G)).toBe(2);
    const jobs = (await as(G, request(t.url).get('/v1/ingest/jobs')).expect(200)).body.data;
    expect(jobs.map((j: { status: string }) => j.status)).toEqual(['queued', 'queued']);
    // a retry joins the queue too
    const [failed] = await insertJobs(db.owner, G.org.id, 1, {}, { kind: 'embed' });
    await asOrg(db.owner, G.org.id, (c) => c.query(`UPDATE ingest_jobs SET status = 'failed' WHERE id = $1`, [failed]));
    await as(G, request(t.url).post(`/v1/ingest/jobs/${failed}/retry`)).expect(429);
    // raised: room again
    await setLimits(G, { caps: { queued_jobs: 3 } });
    await until(async () => (await as(G, request(t.url).post('/v1/knowledge')).send({ title: 'c', text: 'z' })).status === 201);
    const reset = await setLimits(G, { caps: null });
    expect(reset.body.caps.queued_jobs).toBe(10_000);
    for (const bad of [{ caps: { queued_jobs: 0 } }, { caps: { stored_chunks: 'x' } }, { caps: { nope: 1 } }])
      expect((await request(t.url).put(`/v1/admin/orgs/${G.org.id}/limits`).set('Authorization', `Bearer ${root}`).send(bad)).status).toBe(400);
  });
});

/** The whole pipeline (API and workers, the local model): the cap of stored chunks. */
describe('per-org cap of stored chunks', () => {
  let db: TestDb;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'all', LIMITS_MAX_STORED_CHUNKS: '1', SEARCH_ITEM_MAX_CHUNKS: '3' }));
    root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('an embed job that would pass the cap fails with quota-exceeded (the item keeps its text); raised, a retry stores it', async () => {
    const H = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${H.tokens.member}`);
    const item = async (id: string) => (await as(request(t.url).get(`/v1/knowledge/${id}`)).expect(200)).body;
    const a = await as(request(t.url).post('/v1/knowledge')).send({ title: 'a', text: 'Granite is an igneous rock.' }).expect(201);
    await until(async () => (await item(a.body.id)).status === 'ready', 60_000, 'the first item to be embedded');
    const b = await as(request(t.url).post('/v1/knowledge')).send({ title: 'b', text: 'Basalt is a volcanic rock.' }).expect(201);
    const failed = await until(async () => ((await item(b.body.id)).status === 'failed' ? item(b.body.id) : undefined), 60_000);
    expect(failed.error).toMatch(/^quota-exceeded: .*cap of 1 stored chunks/);
    expect(failed.content_text).toBe('Basalt is a volcanic rock.');
    const jobs = (await as(request(t.url).get('/v1/ingest/jobs?kind=embed&status=failed')).expect(200)).body.data;
    const job = jobs.find((j: { knowledge_item_id: string }) => j.knowledge_item_id === b.body.id);
    expect(job.last_error).toMatch(/^quota-exceeded/);
    expect(job.attempts).toBe(1); // not retried automatically: it would fail the same way
    await request(t.url)
      .put(`/v1/admin/orgs/${H.org.id}/limits`)
      .set('Authorization', `Bearer ${root}`)
      .send({ caps: { stored_chunks: 2 } })
      .expect(200);
    await until(async () => (await as(request(t.url).post(`/v1/ingest/jobs/${job.id}/retry`))).status === 200, 15_000, 'the retry');
    await until(async () => (await item(b.body.id)).status === 'ready', 60_000, 'the retried item to be embedded');
    const chunks = await asOrg(db.owner, H.org.id, async (c) => (await c.query(`SELECT count(*)::int AS n FROM private_chunks`)).rows[0].n);
    expect(chunks).toBe(2);
  });

  it('an item whose text makes more chunks than one item may have fails for good (too-long) before the model runs', async () => {
    const L = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${L.tokens.member}`);
    const text = 'Granite is an igneous rock that formed from slowly cooling magma deep underground. '.repeat(60); // about 5,000 characters
    const a = await as(request(t.url).post('/v1/knowledge')).send({ title: 'long', text }).expect(201);
    const failed = await until(async () => {
      const it = (await as(request(t.url).get(`/v1/knowledge/${a.body.id}`)).expect(200)).body;
      return it.status === 'failed' ? it : undefined;
    }, 60_000);
    expect(failed.error).toMatch(/^too-long: this item's text makes \d+ chunks, more than the 3 one item may be indexed as/);
    const jobs = (await as(request(t.url).get('/v1/ingest/jobs?kind=embed&status=failed')).expect(200)).body.data;
    const job = jobs.find((j: { knowledge_item_id: string }) => j.knowledge_item_id === a.body.id);
    expect(job.attempts).toBe(1);
    expect((await as(request(t.url).get('/v1/org/usage')).expect(200)).body.totals.embedding_inputs).toBe(0); // the model never ran
    // The verdict cannot change while the limit stands: a retry (which would read and chunk the
    // whole text again) is refused, and the job stays failed.
    const retry = await as(request(t.url).post(`/v1/ingest/jobs/${job.id}/retry`)).expect(409);
    expect(retry.body.detail).toMatch(/makes \d+ chunks, more than the 3 one item may be indexed as: a retry would fail the same way/);
    expect((await as(request(t.url).get(`/v1/ingest/jobs/${job.id}`)).expect(200)).body.status).toBe('failed');
  });

  it("a market listing's copy counts against the cap: publishing past it is 429 quota-exceeded and writes nothing; embed jobs count the copies too", async () => {
    const P = await orgWithRoles(db.owner);
    const as = (r: request.Test, role: 'member' | 'admin' = 'member') => r.set('Authorization', `Bearer ${P.tokens[role]}`);
    const item = async (id: string) => (await as(request(t.url).get(`/v1/knowledge/${id}`)).expect(200)).body;
    const publish = (id: string) => as(request(t.url).post(`/v1/knowledge/${id}/publish`), 'admin');
    const caps = (n: number) =>
      request(t.url).put(`/v1/admin/orgs/${P.org.id}/limits`).set('Authorization', `Bearer ${root}`).send({ caps: { stored_chunks: n } }).expect(200);
    const stored = () =>
      asOrg(db.owner, P.org.id, async (c) => {
        const q = async (sql: string) => (await c.query(sql, [P.org.id])).rows[0].n as number;
        return {
          priv: await q(`SELECT count(*)::int AS n FROM private_chunks WHERE org_id = $1`),
          market: await q(`SELECT count(*)::int AS n FROM market_chunks WHERE publisher_org_id = $1`),
        };
      });
    await caps(2);
    const a = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'a', text: 'Granite is an igneous rock.' }).expect(201)).body.id;
    await until(async () => (await item(a)).status === 'ready', 60_000, 'a to be embedded');
    await publish(a).expect(201); // 1 private + its 1-chunk copy = 2, the cap
    // b's embed job finds the cap taken by a and a's copy
    const b = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'b', text: 'Basalt is a volcanic rock.' }).expect(201)).body.id;
    const failed = await until(async () => ((await item(b)).status === 'failed' ? item(b) : undefined), 60_000, 'b to fail');
    expect(failed.error).toMatch(/^quota-exceeded: .*cap of 2 stored chunks \(2 stored\)/);

    await caps(3);
    const job = (await as(request(t.url).get('/v1/ingest/jobs?kind=embed&status=failed')).expect(200)).body.data.find(
      (j: { knowledge_item_id: string }) => j.knowledge_item_id === b,
    );
    await until(async () => (await as(request(t.url).post(`/v1/ingest/jobs/${job.id}/retry`))).status === 200, 15_000, 'the retry');
    await until(async () => (await item(b)).status === 'ready', 60_000, 'b to be embedded');
    expect(await stored()).toEqual({ priv: 2, market: 1 });
    // publishing b would make 4 of 3
    const over = await publish(b);
    expect(over.status).toBe(429);
    expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(over.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), cap: 'stored_chunks', limit: 3, used: 3 });
    expect(await stored()).toEqual({ priv: 2, market: 1 });
    const listings = async () =>
      asOrg(db.owner, P.org.id, async (c) => (await c.query(`SELECT knowledge_item_id FROM market_listings WHERE publisher_org_id = $1`, [P.org.id])).rows);
    expect(await listings()).toEqual([{ knowledge_item_id: a }]);
    // refreshing a's listing replaces its copy: still 3, allowed
    await publish(a).expect(201);
    expect(await stored()).toEqual({ priv: 2, market: 1 });
  });
});

/** The whole pipeline (API and workers, the local model): embed jobs take their inputs from the org's `embeddings` bucket. */
describe('embed jobs and the embeddings policy', () => {
  let db: TestDb;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'all', INGEST_BACKOFF_MS: '20' }));
    root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it("an item's model inputs are charged to the bucket (past empty); the org's next embed job then waits, no attempt spent, and so do its embedding requests", async () => {
    const E = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${E.tokens.member}`);
    await request(t.url)
      .put(`/v1/admin/orgs/${E.org.id}/limits`)
      .set('Authorization', `Bearer ${root}`)
      .send({ embeddings: { limit: 10, window_s: 3600 } })
      .expect(200);
    const item = async (id: string) => (await as(request(t.url).get(`/v1/knowledge/${id}`)).expect(200)).body;
    // about 16,000 characters: some 20 chunks of at most 1,000, one input each
    const text = 'Granite is an igneous rock that formed from slowly cooling magma deep underground. '.repeat(190);
    const big = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'big', text }).expect(201)).body.id;
    await until(async () => (await item(big)).status === 'ready', 60_000, 'the large item to be embedded');

    // The bucket is 10 inputs deep and now in debt: the next embed job goes back to delayed at its gate.
    const small = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'small', text: 'Basalt is a volcanic rock.' }).expect(201)).body.id;
    const job = await until(async () => {
      const jobs = (await as(request(t.url).get('/v1/ingest/jobs?kind=embed')).expect(200)).body.data as { id: string; knowledge_item_id: string }[];
      return jobs.find((j) => j.knowledge_item_id === small);
    }, 15_000, "the small item's job");
    const queue = t.app.get(IngestQueues).get(JobKind.Embed)!;
    await until(async () => (await queue.getJobState(job.id)) === 'delayed', 15_000, 'the job to wait for the bucket');
    const row = (await as(request(t.url).get(`/v1/ingest/jobs/${job.id}`)).expect(200)).body;
    expect(row).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await item(small)).status).toBe('pending');
    const refused = await as(request(t.url).post('/v1/embeddings')).send({ input: 'one more' }).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(60); // the debt is repaid at 10 an hour
  });

  it('an automatic retry after a system failure takes nothing more from the bucket: the inputs are taken once, when the writes commit', async () => {
    const E = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${E.tokens.member}`);
    await request(t.url)
      .put(`/v1/admin/orgs/${E.org.id}/limits`)
      .set('Authorization', `Bearer ${root}`)
      .send({ embeddings: { limit: 100, window_s: 3600 } })
      .expect(200);
    // The first write of this org's chunks fails (a database outage as the job sees it); the job's
    // second attempt, after the backoff, writes them.
    await db.owner.query(`CREATE SEQUENCE fail_once_seq`);
    await db.owner.query(`
      CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
      BEGIN
        IF NEW.org_id = '${E.org.id}'::uuid THEN
          IF nextval('fail_once_seq') = 1 THEN RAISE EXCEPTION 'simulated outage'; END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await db.owner.query(`CREATE TRIGGER fail_once BEFORE INSERT ON private_chunks FOR EACH ROW EXECUTE FUNCTION fail_once()`);
    try {
      const text = 'Granite is an igneous rock that formed from slowly cooling magma deep underground. '.repeat(190);
      const id = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'big', text }).expect(201)).body.id;
      await until(async () => (await as(request(t.url).get(`/v1/knowledge/${id}`)).expect(200)).body.status === 'ready', 60_000, 'the item to be embedded');
      const job = (await as(request(t.url).get('/v1/ingest/jobs?kind=embed')).expect(200)).body.data[0];
      expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
      const chunks = await asOrg(db.owner, E.org.id, async (c) =>
        (await c.query(`SELECT count(*)::int AS n FROM private_chunks WHERE knowledge_item_id = $1`, [id])).rows[0].n as number);
      expect(chunks).toBeGreaterThan(10);
      // One unit per chunk (each under 1,000 characters) was taken, once: with this request's own,
      // the 100-deep bucket has 100 - chunks - 1 left (twice the chunks had both attempts been charged).
      const res = await as(request(t.url).post('/v1/embeddings')).send({ input: 'one more' }).expect(200);
      expect(policyState(res.headers['ratelimit'], 'embeddings')?.r).toBe(100 - chunks - 1);
      // billed once too
      expect((await as(request(t.url).get('/v1/org/usage')).expect(200)).body.totals.embedding_inputs).toBe(chunks + 1);
    } finally {
      await db.owner.query(`DROP TRIGGER fail_once ON private_chunks; DROP FUNCTION fail_once(); DROP SEQUENCE fail_once_seq`);
    }
  });
});
