import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import request from 'supertest';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { ADMIN_URL } from './support/urls.js';
import type { Redis } from 'ioredis';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import {
  countByStatus,
  createSimTable,
  effectsPerJob,
  insertJobs,
  jobRows,
  waitFor,
} from './support/ingest.js';
import { simFailKey, simHeldSinceKey, simReleaseKey, withSimHandlers } from './support/sim-handlers.js';
import { REDIS } from '../src/redis/redis.module.js';
import type { Env } from '../src/config/env.js';
import { jobDuration, metricsRegistry } from '../src/common/metrics/metrics.js';
import { IngestDispatcher } from '../src/modules/ingest/ingest.dispatcher.js';
import { OrgSlots } from '../src/modules/ingest/org-slots.js';
import { TenantDb, TenantTransactions } from '../src/tenancy/tenant-context.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** API + workers in one process (ROCKER_ROLE=all), simulated handlers for embed and ocr; crawl keeps its real one. */
describe('ingest pipeline (all-in-one process)', () => {
  let db: TestDb;
  let t: TestApp;
  let env: Env;
  let redis: Redis;
  let A: Tenant;
  const as = (r: request.Test) => r.set('Authorization', `Bearer ${A.tokens.owner}`);
  const job = async (id: string) => (await as(request(t.url).get(`/v1/ingest/jobs/${id}`)).expect(200)).body;
  /** Jobs the workers took out of the queue and skipped (their row no longer wanted them run). */
  const skippedCount = async () =>
    (await jobDuration.get()).values
      .filter((v) => v.metricName?.endsWith('_count') && v.labels.outcome === 'skipped')
      .reduce((n, v) => n + v.value, 0);
  const until = (id: string, status: string) =>
    waitFor(`job ${id} ${status}`, async () => ((await job(id)).status === status ? job(id) : null));

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    env = envFor(db.appUrl, db.ownerUrl, {
      INGEST_BACKOFF_MS: '20',
      INGEST_MAX_ATTEMPTS: '3',
      INGEST_DISPATCH_INTERVAL_MS: '200',
    });
    t = await startApp(env, { override: withSimHandlers });
    redis = t.app.get(REDIS);
    A = await orgWithRoles(db.owner);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('a knowledge item enqueues an embed job in its transaction; the item follows the job to ready', async () => {
    const res = await as(
      request(t.url)
        .post('/v1/knowledge')
        .set('X-Request-Id', 'req-ingest-0001')
        .send({ title: 't', text: 'hello' }),
    ).expect(201);
    expect(res.body.status).toBe('pending');
    const list = await as(request(t.url).get(`/v1/ingest/jobs?kind=embed`)).expect(200);
    const mine = list.body.data.find(
      (j: { knowledge_item_id: string }) => j.knowledge_item_id === res.body.id,
    );
    expect(mine).toMatchObject({
      kind: 'embed',
      payload: { knowledge_item_id: res.body.id },
      request_id: 'req-ingest-0001',
    });
    const done = await until(mine.id, 'succeeded');
    expect(done).toMatchObject({ attempts: 1, last_error: null });
    expect(done.started_at).toEqual(expect.any(String));
    const item = await as(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
    expect(item.body.status).toBe('ready');
    expect((await effectsPerJob(db.owner)).get(mine.id)).toBe(1);
  });

  it("only a job's start commits without waiting for the WAL flush; its result, and every request, commit synchronously", async () => {
    const tx = t.app.get(TenantTransactions);
    const tdb = t.app.get(TenantDb);
    const ctx = { requestId: 'wal-test', userId: null, orgId: A.org.id, role: null, isSuperAdmin: false };
    const setting = async () =>
      (await tdb.one<{ s: string }>(`SELECT current_setting('synchronous_commit') AS s`))!.s;
    for (let i = 0; i < 5; i++) {
      expect(await tx.run(ctx, setting, 'job', { asyncCommit: true })).toBe('off');
      expect(await tx.run(ctx, setting, 'job')).toBe('on'); // transaction-local: nothing leaks through the pool
      expect(await tx.run(ctx, setting)).toBe('on');
    }

    // The worker asks for it on the start transaction only, never on the one that writes the result.
    const fresh = await orgWithRoles(db.owner); // no other job of this org can run meanwhile
    const spy = vi.spyOn(tx, 'run');
    try {
      const [id] = await insertJobs(db.owner, fresh.org.id, 1, { work_ms: 1 });
      await waitFor(
        'the job succeeded',
        async () => (await jobRows(db.owner, fresh.org.id, [id]))[0].status === 'succeeded',
      );
      const jobCalls = spy.mock.calls.filter((c) => c[0].orgId === fresh.org.id && c[2] === 'job');
      const asyncCalls = jobCalls.filter((c) => c[3]?.asyncCommit);
      expect(asyncCalls).toHaveLength(1);
      expect(jobCalls.length).toBeGreaterThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('while its handler works, a job holds no database transaction; its write lands with the result, once', async () => {
    const fresh = await orgWithRoles(db.owner);
    const [id] = await insertJobs(db.owner, fresh.org.id, 1, { hold_flag: true });
    const since = Number(await waitFor('the handler is working', () => redis.get(simHeldSinceKey(env, id))));
    // A transaction of the app role opened before the work began and still open now would span it
    // (read as the superuser: other roles' backends show no state to rocker_owner).
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      const spanning = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND usename = 'rocker_app' AND xact_start <= to_timestamp($2::float8 / 1000)`,
        [db.name, since],
      );
      expect(spanning.rows[0].n).toBe(0);
    } finally {
      await admin.end();
    }
    expect((await jobRows(db.owner, fresh.org.id, [id]))[0].status).toBe('running');
    expect((await effectsPerJob(db.owner)).get(id)).toBeUndefined();
    await redis.set(simReleaseKey(env, id), '1');
    await waitFor(
      'the job succeeded',
      async () => (await jobRows(db.owner, fresh.org.id, [id]))[0].status === 'succeeded',
    );
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
  });

  it('a job its handler refuses for good (a crawl job without a URL) fails at once, clearly, and its item is failed', async () => {
    const item = (await as(request(t.url).post('/v1/knowledge').send({ title: 'c', text: 'x' })).expect(201))
      .body;
    const [id] = await insertJobs(db.owner, A.org.id, 1, {}, { kind: 'crawl', itemId: item.id });
    const failed = await until(id, 'failed');
    expect(failed).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/^invalid-payload: /) });
    await waitFor(
      'item failed',
      async () => (await as(request(t.url).get(`/v1/knowledge/${item.id}`))).body.status === 'failed',
    );
  });

  it('a failing attempt is retried with backoff and then succeeds', async () => {
    const [id] = await insertJobs(db.owner, A.org.id, 1, { fail_attempts: 2 }, { maxAttempts: 3 });
    const done = await until(id, 'succeeded');
    expect(done.attempts).toBe(3);
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
  });

  it('after the last attempt the job is failed with its error', async () => {
    const [id] = await insertJobs(db.owner, A.org.id, 1, { fail_attempts: 99 }, { maxAttempts: 3 });
    const failed = await until(id, 'failed');
    expect(failed).toMatchObject({ attempts: 3, last_error: 'simulated failure on attempt 3' });
    expect(failed.finished_at).toEqual(expect.any(String));
  });

  it('a permanent error fails the job without retries', async () => {
    const [id] = await insertJobs(db.owner, A.org.id, 1, { permanent: true }, { maxAttempts: 3 });
    expect(await until(id, 'failed')).toMatchObject({
      attempts: 1,
      last_error: 'simulated permanent failure',
    });
  });

  it('retry through the API runs a failed job again', async () => {
    // The flag is up before the row commits: the dispatcher may run the job at once.
    const flag = randomUUID();
    await redis.set(simFailKey(env, flag), '1');
    const [id] = await insertJobs(db.owner, A.org.id, 1, { fail_flag: flag }, { maxAttempts: 1 });
    await until(id, 'failed');
    await redis.del(simFailKey(env, flag));
    const retried = await as(request(t.url).post(`/v1/ingest/jobs/${id}/retry`)).expect(200);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
    expect(await until(id, 'succeeded')).toMatchObject({ attempts: 1, last_error: null });
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
    await as(request(t.url).post(`/v1/ingest/jobs/${id}/retry`)).expect(409);
  });

  it('a cancelled job retried runs once: its earlier copy leaves the queue while the org is still full, and the org parks one entry per waiting copy', async () => {
    const fresh = await orgWithRoles(db.owner);
    const asFresh = (r: request.Test) => r.set('Authorization', `Bearer ${fresh.tokens.owner}`);
    // its four slots (INGEST_ORG_CONCURRENCY) held, so the next job's copy waits in the queue
    const held = await insertJobs(db.owner, fresh.org.id, 4, { hold_flag: true });
    for (const h of held) await waitFor(`job ${h} holding`, () => redis.get(simHeldSinceKey(env, h)));
    const [id] = await insertJobs(db.owner, fresh.org.id, 1, { work_ms: 1 });
    const dispatched = async () =>
      (
        await asOrg(db.owner, fresh.org.id, (c) =>
          c.query(`SELECT dispatched_at IS NOT NULL AS d FROM ingest_jobs WHERE id = $1`, [id]),
        )
      ).rows[0].d as boolean;
    await waitFor('the job handed to the queue', async () => ((await dispatched()) ? true : null));
    const skippedBefore = await skippedCount();
    await asFresh(request(t.url).post(`/v1/ingest/jobs/${id}/cancel`)).expect(200);
    const retried = await asFresh(request(t.url).post(`/v1/ingest/jobs/${id}/retry`)).expect(200);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 0 });
    // the generation-0 copy comes out of the queue and is skipped at its next look for a slot, with
    // every slot still held: it does not cycle through delayed until one frees (a cancel/retry storm
    // kept hundreds of such copies, each parking itself three times a second)
    await waitFor('the stale copy skipped', async () => ((await skippedCount()) > skippedBefore ? true : null));
    const slots = t.app.get(OrgSlots);
    // the retried copy's entry alone (the stale one's went with it), however often it looked
    expect((await redis.zrange(slots.waitKey(fresh.org.id), 0, -1)).filter((e) => !e.endsWith('.r1'))).toEqual([]);
    for (const h of held) await redis.set(simReleaseKey(env, h), '1');
    await waitFor(
      'the retried job succeeded',
      async () => (await jobRows(db.owner, fresh.org.id, [id]))[0].status === 'succeeded',
    );
    expect((await jobRows(db.owner, fresh.org.id, [id]))[0].attempts).toBe(1);
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
  });

  it('many jobs all run exactly once', async () => {
    const ids = await insertJobs(db.owner, A.org.id, 60, { work_ms: 2 });
    await waitFor(
      '60 jobs done',
      async () => (await countByStatus(db.owner, A.org.id, ids)).succeeded === 60,
      60_000,
    );
    const effects = await effectsPerJob(db.owner);
    expect(ids.map((id) => effects.get(id))).toEqual(ids.map(() => 1));
    const rows = await jobRows(db.owner, A.org.id, ids);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
  });

  it('exports queue metrics', async () => {
    await t.app.get(IngestDispatcher).sampleMetrics();
    const text = await metricsRegistry.metrics();
    expect(text).toMatch(/rocker_job_wait_seconds_count\{queue="ocr",org="[0-9a-f-]{36}"\} \d+/);
    expect(text).toMatch(
      /rocker_job_duration_seconds_count\{queue="ocr",org="[0-9a-f-]{36}",outcome="succeeded"\} \d+/,
    );
    expect(text).toMatch(/rocker_queue_oldest_queued_seconds\{queue="embed"\} /);
  });
});
