import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Redis } from 'ioredis';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, orgWithRoles } from './support/fixtures.js';
import { countByStatus, createSimTable, effectsPerJob, insertJobs, jobRows, maxOverlap, waitFor } from './support/ingest.js';
import { envVars, spawnSimWorker, type Child } from './support/processes.js';
import { OwnRedis } from './support/redis-server.js';
import { simStartsKey } from './support/sim-handlers.js';
import { MAX_STALLED } from '../src/modules/ingest/ingest.processor.js';
import type { Env } from '../src/config/env.js';

/** Real worker processes (dist/test/support/sim-worker.js) against real Postgres and Redis. */
describe('ingest with real worker processes', () => {
  let db: TestDb;
  let env: Env;
  let redis: Redis;
  const children: Child[] = [];
  const worker = async (e: Env = env, extra: Record<string, string> = {}) => {
    const w = await spawnSimWorker(envVars(e, extra));
    children.push(w);
    return w;
  };

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    env = envFor(db.appUrl, db.ownerUrl, { INGEST_LOCK_MS: '2000', INGEST_BACKOFF_MS: '50', INGEST_DISPATCH_INTERVAL_MS: '200' });
    redis = new Redis(env.REDIS_URL);
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop('SIGKILL')));
  });

  afterAll(async () => {
    redis?.disconnect();
    await db?.drop();
  });

  it('kill -9 a worker mid-job: after a restart the job completes exactly once', async () => {
    const org = await createOrg(db.owner);
    const itemId = await asOrg(db.owner, org.id, async (c) =>
      (await c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'k', 'text', 'x') RETURNING id`, [org.id])).rows[0].id,
    );
    const w1 = await worker();
    const [id] = await insertJobs(db.owner, org.id, 1, { hang_attempts: 1 }, { itemId });
    await waitFor('the job running in worker 1', async () => (await redis.get(simStartsKey(env, id))) === '1' && (await jobRows(db.owner, org.id, [id]))[0].status === 'running');
    expect(await w1.stop('SIGKILL')).toBe('SIGKILL');

    await worker(); // stalled check (INGEST_LOCK_MS) hands the job to the new process
    await waitFor('the job succeeded', async () => (await jobRows(db.owner, org.id, [id]))[0].status === 'succeeded', 60_000);
    const [row] = await jobRows(db.owner, org.id, [id]);
    expect(row.attempts).toBe(2); // started twice ...
    expect(await redis.get(simStartsKey(env, id))).toBe('2');
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1); // ... took effect once
    const item = await asOrg(db.owner, org.id, (c) => c.query(`SELECT status FROM knowledge_items WHERE id = $1`, [itemId]));
    expect(item.rows[0].status).toBe('ready');
  });

  it('a poison job that kills its worker every time: failed after MAX_STALLED stalls, row and item say so, retry works', async () => {
    const { org, tokens } = await orgWithRoles(db.owner);
    const itemId = await asOrg(db.owner, org.id, async (c) =>
      (await c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'k', 'text', 'x') RETURNING id`, [org.id])).rows[0].id,
    );
    // hangs on its first MAX_STALLED + 1 attempts: each time, the test kills the worker running it
    const [id] = await insertJobs(db.owner, org.id, 1, { hang_attempts: MAX_STALLED + 1 }, { itemId });
    for (let start = 1; start <= MAX_STALLED + 1; start++) {
      const w = await worker();
      await waitFor(`start ${start} of the poison job`, async () => Number(await redis.get(simStartsKey(env, id))) === start, 60_000);
      expect(await w.stop('SIGKILL')).toBe('SIGKILL');
    }
    // The next worker's stalled check finds it a 4th time; BullMQ then fails it without running the handler.
    await worker();
    await waitFor('the poison job failed', async () => (await jobRows(db.owner, org.id, [id]))[0].status === 'failed', 60_000);
    const [row] = await jobRows(db.owner, org.id, [id]);
    expect(row.last_error).toMatch(/worker running this job stopped \d+ times/);
    expect(Number(await redis.get(simStartsKey(env, id)))).toBe(MAX_STALLED + 1); // the handler did not run again
    const item = await asOrg(db.owner, org.id, (c) => c.query(`SELECT status, error FROM knowledge_items WHERE id = $1`, [itemId]));
    expect(item.rows[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped \d+ times/) });

    // Once the cause is fixed, the API's retry runs it as a new generation (a fresh BullMQ job).
    await asOrg(db.owner, org.id, (c) => c.query(`UPDATE ingest_jobs SET payload = '{}'::jsonb WHERE id = $1`, [id]));
    const api = await startApp({ ...env, ROCKER_ROLE: 'api' }); // the worker process runs it
    try {
      const res = await request(api.url).post(`/v1/ingest/jobs/${id}/retry`).set('Authorization', `Bearer ${tokens.member}`).expect(200);
      expect(res.body.status).toBe('queued');
    } finally {
      await api.close();
    }
    await waitFor('the retried job succeeded', async () => (await jobRows(db.owner, org.id, [id]))[0].status === 'succeeded', 60_000);
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
  });

  it('SIGTERM: the worker stops taking jobs and finishes the running one before it exits', async () => {
    const org = await createOrg(db.owner);
    const w = await worker();
    const [id] = await insertJobs(db.owner, org.id, 1, { work_ms: 1500 });
    await waitFor('the job running', async () => (await jobRows(db.owner, org.id, [id]))[0].status === 'running');
    const [queuedLater] = await insertJobs(db.owner, org.id, 1, { work_ms: 1 }, { kind: 'embed' });
    const code = await w.stop('SIGTERM');
    expect([0, 'SIGTERM']).toContain(code);
    expect((await jobRows(db.owner, org.id, [id]))[0].status).toBe('succeeded');
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
    // Work that arrived meanwhile is not lost: the next worker runs it.
    await worker();
    await waitFor('the later job done', async () => (await jobRows(db.owner, org.id, [queuedLater]))[0].status === 'succeeded', 60_000);
  });

  it('two worker processes, org limit 2, 200 jobs: never more than 2 running (from database timestamps)', async () => {
    const org = await createOrg(db.owner);
    await asOrg(db.owner, org.id, async (c) => {
      await c.query(`SELECT set_config('app.actor_role', 'super_admin', true)`);
      await c.query(`INSERT INTO org_limits (org_id, job_concurrency) VALUES ($1, 2)`, [org.id]);
    });
    await Promise.all([worker(), worker()]);
    const ids = await insertJobs(db.owner, org.id, 200, { work_ms: 5 });
    await waitFor('200 jobs done', async () => (await countByStatus(db.owner, org.id, ids)).succeeded === 200, 240_000, 250);
    const rows = await jobRows(db.owner, org.id, ids);
    expect(maxOverlap(rows)).toBeLessThanOrEqual(2);
    expect(maxOverlap(rows)).toBeGreaterThanOrEqual(1);
    const effects = await effectsPerJob(db.owner);
    expect(ids.filter((i) => effects.get(i) !== 1)).toEqual([]);
    expect(rows.filter((r) => r.attempts !== 1)).toEqual([]); // waiting for a slot spends no attempt
  });

  it('jobs that find the org full wait parked and each released slot wakes one (no fallback delay), 40 jobs, limit 2', async () => {
    const org = await createOrg(db.owner);
    await asOrg(db.owner, org.id, async (c) => {
      await c.query(`SELECT set_config('app.actor_role', 'super_admin', true)`);
      await c.query(`INSERT INTO org_limits (org_id, job_concurrency) VALUES ($1, 2)`, [org.id]);
    });
    // The fallback delay out of reach: a parked job that no released slot woke would wait a minute.
    await worker(env, { INGEST_SLOT_RETRY_MS: '60000' });
    const ids = await insertJobs(db.owner, org.id, 40, { work_ms: 5 });
    await waitFor('40 jobs done', async () => (await countByStatus(db.owner, org.id, ids)).succeeded === 40, 30_000, 100);
    const rows = await jobRows(db.owner, org.id, ids);
    expect(maxOverlap(rows)).toBeLessThanOrEqual(2);
    const effects = await effectsPerJob(db.owner);
    expect(ids.filter((i) => effects.get(i) !== 1)).toEqual([]);
    expect(rows.filter((r) => r.attempts !== 1)).toEqual([]);
  });

  it('fairness: A enqueues 2,000, then B 5: every B job starts before A has finished 5% of its backlog', async () => {
    const [A, B] = [await createOrg(db.owner), await createOrg(db.owner)];
    await worker();
    const aIds = await insertJobs(db.owner, A.id, 2000, { work_ms: 2 });
    await waitFor('A under way', async () => ((await countByStatus(db.owner, A.id)).succeeded ?? 0) > 0, 60_000);
    const bIds = await insertJobs(db.owner, B.id, 5, { work_ms: 2 });
    await waitFor('B done', async () => (await countByStatus(db.owner, B.id, bIds)).succeeded === 5, 60_000);
    const lastBStart = Math.max(...(await jobRows(db.owner, B.id, bIds)).map((r) => r.started_us!));
    const aDoneBefore = (await jobRows(db.owner, A.id, aIds)).filter((r) => r.finished_us !== null && r.finished_us <= lastBStart).length;
    expect(aDoneBefore).toBeLessThan(2000 * 0.05);
  });
});

describe('ingest through a Redis outage (a private redis-server)', () => {
  let db: TestDb;
  let env: Env;
  let redisServer: OwnRedis;
  let t: TestApp;
  let w: Child | undefined;

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    redisServer = await OwnRedis.start();
    env = envFor(db.appUrl, db.ownerUrl, { REDIS_URL: redisServer.url, ROCKER_ROLE: 'api', INGEST_DISPATCH_INTERVAL_MS: '200' });
    t = await startApp(env); // API only: it writes rows, the worker process dispatches and runs them
    w = await spawnSimWorker(envVars(env));
  });

  afterAll(async () => {
    await w?.stop('SIGKILL');
    await t?.close();
    await redisServer?.stop();
    await db?.drop();
  });

  it('every request answers 2xx while Redis is down; all jobs run once after it returns', async () => {
    const A = await orgWithRoles(db.owner);
    const post = (i: number) =>
      request(t.url).post('/v1/knowledge').set('Authorization', `Bearer ${A.tokens.member}`).send({ title: `k${i}`, text: `text ${i}` });
    const before = (await post(0)).body.id as string;
    await waitFor('first item ready', async () => (await asOrg(db.owner, A.org.id, (c) => c.query(`SELECT status FROM knowledge_items WHERE id = $1`, [before]))).rows[0].status === 'ready', 60_000);

    await redisServer.stop();
    const statuses: number[] = [];
    for (let i = 1; i <= 20; i++) statuses.push((await post(i)).status);
    expect(statuses).toEqual(Array(20).fill(201));
    const jobs = await jobRows(db.owner, A.org.id);
    expect(jobs).toHaveLength(21);
    expect(jobs.filter((j) => j.status === 'queued')).toHaveLength(20); // waiting in the outbox

    await redisServer.start(); // back, empty (no persistence)
    await waitFor('all 21 jobs succeeded', async () => (await countByStatus(db.owner, A.org.id)).succeeded === 21, 90_000, 200);
    const effects = await effectsPerJob(db.owner);
    const all = await jobRows(db.owner, A.org.id);
    expect(all.map((j) => effects.get(j.id))).toEqual(all.map(() => 1)); // none lost, none doubled
    const items = await asOrg(db.owner, A.org.id, (c) => c.query(`SELECT status, count(*)::int AS n FROM knowledge_items GROUP BY status`));
    expect(items.rows).toEqual([{ status: 'ready', n: 21 }]);
  });
});
