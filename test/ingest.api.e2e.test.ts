import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { insertJobs } from './support/ingest.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** The job API on an API-only process (ROCKER_ROLE=api: no workers, so queued jobs stay queued). */
describe('ingest job API', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  let B: Tenant;
  let bJob: string;
  const as = (who: Tenant, r: request.Test, role: keyof Tenant['tokens'] = 'owner') => r.set('Authorization', `Bearer ${who.tokens[role]}`);

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' }));
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
    const k = await as(B, request(t.url).post('/v1/knowledge')).send({ title: 'B secret', text: 'B secret text' }).expect(201);
    bJob = (await as(B, request(t.url).get('/v1/ingest/jobs'))).body.data.find((j: { knowledge_item_id: string }) => j.knowledge_item_id === k.body.id).id;
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('creating a knowledge item writes its embed job in the same transaction (outbox), tagged with the request id', async () => {
    const res = await as(A, request(t.url).post('/v1/knowledge')).set('X-Request-Id', 'req-outbox-000001').send({ title: 'a', text: 'x' }).expect(201);
    const jobs = (await as(A, request(t.url).get('/v1/ingest/jobs?kind=embed&status=queued')).expect(200)).body.data;
    expect(jobs).toContainEqual(
      expect.objectContaining({ kind: 'embed', status: 'queued', knowledge_item_id: res.body.id, request_id: 'req-outbox-000001', attempts: 0 }),
    );
    // A failed request leaves neither the item nor a job behind.
    const before = (await as(A, request(t.url).get('/v1/ingest/jobs?limit=100'))).body.data.length;
    await as(A, request(t.url).post('/v1/knowledge'), 'viewer').send({ title: 'v', text: 'x' }).expect(403);
    expect((await as(A, request(t.url).get('/v1/ingest/jobs?limit=100'))).body.data.length).toBe(before);
  });

  it('lists with filters and a cursor that walks every row once', async () => {
    const ids = await insertJobs(db.owner, A.org.id, 7, {}, { kind: 'ocr' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await as(A, request(t.url).get(`/v1/ingest/jobs?kind=ocr&limit=3${cursor ? `&cursor=${cursor}` : ''}`)).expect(200);
      expect(res.body.data.every((j: { kind: string }) => j.kind === 'ocr')).toBe(true);
      seen.push(...res.body.data.map((j: { id: string }) => j.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect([...seen].sort()).toEqual([...ids].sort());
    await as(A, request(t.url).get('/v1/ingest/jobs?status=bogus')).expect(400);
    await as(A, request(t.url).get('/v1/ingest/jobs?kind=bogus')).expect(400);
  });

  it('cancel: queued → cancelled (its item is settled), then 409; retry: cancelled → queued, its item pending', async () => {
    const k = await as(A, request(t.url).post('/v1/knowledge')).send({ title: 'c', text: 'x' }).expect(201);
    const job = (await as(A, request(t.url).get('/v1/ingest/jobs?kind=embed'))).body.data.find((j: { knowledge_item_id: string }) => j.knowledge_item_id === k.body.id);
    await as(A, request(t.url).post(`/v1/ingest/jobs/${job.id}/cancel`), 'viewer').expect(403);
    const res = await as(A, request(t.url).post(`/v1/ingest/jobs/${job.id}/cancel`), 'member').expect(200);
    expect(res.body).toMatchObject({ id: job.id, status: 'cancelled', finished_at: expect.any(String) });
    const item = await as(A, request(t.url).get(`/v1/knowledge/${k.body.id}`)).expect(200);
    expect(item.body).toMatchObject({ status: 'failed', error: 'ingest job cancelled' });
    const again = await as(A, request(t.url).post(`/v1/ingest/jobs/${job.id}/cancel`)).expect(409);
    expect(again.headers['content-type']).toMatch(/problem\+json/);
    // a cancelled job can be retried: queued again (a new generation), its item pending
    await as(A, request(t.url).post(`/v1/ingest/jobs/${job.id}/retry`), 'viewer').expect(403);
    const retried = await as(A, request(t.url).post(`/v1/ingest/jobs/${job.id}/retry`), 'member').expect(200);
    expect(retried.body).toMatchObject({ id: job.id, status: 'queued', attempts: 0, finished_at: null });
    const pending = await as(A, request(t.url).get(`/v1/knowledge/${k.body.id}`)).expect(200);
    expect(pending.body).toMatchObject({ status: 'pending', error: null });
    // a queued job is neither failed nor cancelled
    const twice = await as(A, request(t.url).post(`/v1/ingest/jobs/${job.id}/retry`)).expect(409);
    expect(twice.body.detail).toMatch(/only a failed or cancelled job can be retried; this one is queued/);
  });

  it('retry: failed → queued with a fresh attempt budget and no dispatch mark', async () => {
    const [id] = await insertJobs(db.owner, A.org.id, 1);
    await asOrg(db.owner, A.org.id, (c) =>
      c.query(`UPDATE ingest_jobs SET status = 'failed', attempts = 5, last_error = 'boom', dispatched_at = now(), finished_at = now() WHERE id = $1`, [id]),
    );
    const res = await as(A, request(t.url).post(`/v1/ingest/jobs/${id}/retry`), 'member').expect(200);
    expect(res.body).toMatchObject({ status: 'queued', attempts: 0, finished_at: null, last_error: 'boom' });
    const row = await asOrg(db.owner, A.org.id, (c) => c.query(`SELECT generation, dispatched_at FROM ingest_jobs WHERE id = $1`, [id]));
    expect(row.rows[0]).toEqual({ generation: 1, dispatched_at: null });
    await as(A, request(t.url).post(`/v1/ingest/jobs/${id}/retry`)).expect(409);
  });

  const routes: [string, string][] = [
    ['GET', ''],
    ['POST', '/retry'],
    ['POST', '/cancel'],
  ];
  it.each(routes)("%s /v1/ingest/jobs/:id%s with another org's id → 404, B's job untouched", async (method, suffix) => {
    const req = request(t.url)[method.toLowerCase() as 'get'](`/v1/ingest/jobs/${bJob}${suffix}`);
    const res = await as(A, req);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toMatch(/B secret/);
    const mine = await as(B, request(t.url).get(`/v1/ingest/jobs/${bJob}`)).expect(200);
    expect(mine.body.status).toBe('queued');
  });

  it("lists never show another org's jobs", async () => {
    const res = await as(A, request(t.url).get('/v1/ingest/jobs?limit=100')).expect(200);
    expect(res.body.data.map((j: { id: string }) => j.id)).not.toContain(bJob);
  });

  it('only the worker role reaches other orgs, through the dispatch functions, and they reveal no payloads', async () => {
    const app = db.pool(db.appUrl, 1);
    const worker = db.pool(db.workerUrl, 1);
    try {
      expect((await app.query(`SELECT count(*)::int AS n FROM ingest_jobs`)).rows[0].n).toBe(0);
      expect((await worker.query(`SELECT count(*)::int AS n FROM ingest_jobs`)).rows[0].n).toBe(0);
      // the API role holds none of the dispatcher's functions
      await expect(app.query(`SELECT * FROM ingest_queue_stats()`)).rejects.toMatchObject({ code: '42501' });
      const stats = await worker.query(`SELECT * FROM ingest_queue_stats()`);
      expect(stats.fields.map((f) => f.name)).toEqual(['kind', 'org_id', 'status', 'jobs', 'oldest_queued_at']);
      const cols = await worker.query(`SELECT * FROM ingest_dispatched_queued(0, 1)`);
      expect(cols.fields.map((f) => f.name)).not.toContain('payload');
      // rocker_dispatch cannot read payloads even directly
      await expect(db.owner.query(`SET ROLE rocker_dispatch; SELECT payload FROM ingest_jobs`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await db.owner.query('RESET ROLE');
      await app.end();
      await worker.end();
    }
  });

  it('documents the routes', async () => {
    const doc = await request(t.url).get('/docs/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/ingest/jobs', '/v1/ingest/jobs/{id}', '/v1/ingest/jobs/{id}/retry', '/v1/ingest/jobs/{id}/cancel']),
    );
  });
});
