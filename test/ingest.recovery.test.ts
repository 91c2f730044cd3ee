import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, orgWithRoles } from './support/fixtures.js';
import { OwnRedis } from './support/redis-server.js';
import {
  createSimTable,
  effectsPerJob,
  insertJobs,
  jobRows,
  waitFor,
} from './support/ingest.js';
import { envVars, spawnSimWorker, spawnWorker, type Child } from './support/processes.js';
import { simHeldSinceKey, simReleaseKey, simStartsKey } from './support/sim-handlers.js';
import { chunkText, DEFAULT_CHUNK_OPTIONS } from '../src/modules/search/chunker.js';
import { DataSource } from 'typeorm';
import { TenantDb, TenantTransactions, type TenantContext } from '../src/tenancy/tenant-context.js';
import { IngestRepository } from '../src/modules/ingest/ingest.repository.js';
import { runJobHandler } from '../src/modules/ingest/run-handler.js';
import { JobKind, LeaseLostError, type IngestHandler } from '../src/modules/ingest/ingest.types.js';
import type { Env } from '../src/config/env.js';

/** Lease and lock short (seconds), so recovery after a crash happens within the test's bounds. */
const FAST = {
  INGEST_LEASE_MS: '2000',
  INGEST_LOCK_MS: '2000',
  INGEST_RECONCILE_AFTER_MS: '1000',
  INGEST_DISPATCH_INTERVAL_MS: '200',
  INGEST_BACKOFF_MS: '50',
  RATE_LIMIT_ENABLED: 'false',
};

describe('ingest crash recovery and shutdown (real worker processes, a private redis-server)', () => {
  let db: TestDb;
  let redisServer: OwnRedis;
  let env: Env;
  let redis: Redis | undefined;
  let api: TestApp | undefined;
  const children: Child[] = [];
  const track = (c: Child) => (children.push(c), c);

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    redisServer = await OwnRedis.start();
    env = envFor(db.appUrl, db.ownerUrl, { ...FAST, REDIS_URL: redisServer.url });
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
  });

  afterEach(async () => {
    // Each test's workers go with it (a real embed worker would take the next test's simulated jobs).
    await Promise.all(children.splice(0).map((c) => c.stop('SIGKILL')));
    await api?.close();
    api = undefined;
  });

  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.stop();
    await db?.drop();
  });

  it('SIGKILL mid-ingest and Redis restarted empty: after a fresh start every item is ready, its chunks written once', async () => {
    const A = await orgWithRoles(db.owner);
    api = await startApp({ ...env, ROCKER_ROLE: 'api' }); // writes rows; the worker processes dispatch and run them
    const texts = Array.from({ length: 60 }, (_, i) =>
      Array.from(
        { length: 16 },
        (_, s) =>
          `Item ${i} sentence ${s} talks about rocks, rivers and the long road home number ${i * 100 + s}.`,
      ).join(' '),
    );
    const items: { id: string; expected: number }[] = [];
    for (const [i, text] of texts.entries()) {
      const res = await request(api.url)
        .post('/v1/knowledge')
        .set('Authorization', `Bearer ${A.tokens.member}`)
        .send({ title: `k${i}`, text })
        .expect(201);
      items.push({ id: res.body.id as string, expected: chunkText(text, DEFAULT_CHUNK_OPTIONS).length });
    }
    expect(items.every((x) => x.expected > 1)).toBe(true);

    const w1 = track(await spawnWorker(envVars(env), 120_000));
    // Mid-ingest: some done, some running (their leases held by w1).
    const runningAtKill = await waitFor(
      'some items ingested and some running',
      async () => {
        const rows = await jobRows(db.owner, A.org.id);
        const done = rows.filter((r) => r.status === 'succeeded').length;
        const running = rows.filter((r) => r.status === 'running').map((r) => r.id);
        return done >= 3 && done < 50 && running.length > 0 ? running : null;
      },
      120_000,
      20,
    );
    expect(await w1.stop('SIGKILL')).toBe('SIGKILL');
    await redisServer.stop();
    await redisServer.start(); // same port, empty: BullMQ's jobs and the org slots are gone
    const stuck = (await jobRows(db.owner, A.org.id)).filter((r) => r.status === 'running');
    expect(stuck.length).toBeGreaterThan(0); // nothing left in Redis would ever run these again

    track(await spawnWorker(envVars(env), 120_000));
    // Bounded generously: the shared machine may be loaded; the status counts say where it stood.
    let last: Record<string, number> = {};
    await waitFor(
      'all 60 items ready',
      async () => {
        const r = await asOrg(db.owner, A.org.id, (c) =>
          c.query<{ status: string; n: number }>(
            `SELECT status, count(*)::int AS n FROM knowledge_items GROUP BY status`,
          ),
        );
        last = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
        return last.ready === 60;
      },
      240_000,
      200,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (items by status: ${JSON.stringify(last)})`);
    });
    const chunks = await asOrg(db.owner, A.org.id, (c) =>
      c.query<{ item: string; n: number; distinct_idx: number }>(
        `SELECT knowledge_item_id AS item, count(*)::int AS n, count(DISTINCT chunk_index)::int AS distinct_idx FROM private_chunks GROUP BY 1`,
      ),
    );
    const got = new Map(chunks.rows.map((r) => [r.item, r]));
    expect(items.map((x) => got.get(x.id)?.n)).toEqual(items.map((x) => x.expected));
    expect(chunks.rows.every((r) => r.n === r.distinct_idx)).toBe(true);
    const rows = await jobRows(db.owner, A.org.id);
    expect(rows.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // The jobs running at the kill were taken again (their first attempt counted).
    const retaken = rows.filter((r) => stuck.some((s) => s.id === r.id));
    expect(retaken.every((r) => r.attempts >= 2)).toBe(true);
    expect(runningAtKill.length).toBeGreaterThan(0);
  }, 480_000);

  it('SIGTERM with a long job in flight: the process exits within the default 10 s, the job is handed back and completes once elsewhere', async () => {
    const org = await createOrg(db.owner);
    const simEnv = { ...envVars(env) };
    delete simEnv.SHUTDOWN_GRACE_MS; // the default bound
    const w1 = track(await spawnSimWorker(simEnv, 120_000));
    const [id] = await insertJobs(db.owner, org.id, 1, { hold_flag: true }, { kind: 'embed' });
    await waitFor(
      'the job holding in worker 1',
      async () => (await redis!.get(simHeldSinceKey(env, id))) !== null,
      60_000,
    );
    track(await spawnSimWorker(simEnv, 120_000)); // a second worker, to take the job handed back

    const t0 = performance.now();
    const code = await w1.stop('SIGTERM');
    const exitMs = performance.now() - t0;
    expect([0, 'SIGTERM']).toContain(code); // a clean exit, not the hard-exit fallback (1)
    expect(exitMs).toBeLessThan(10_000);
    console.info(`SIGTERM with a held job → exit in ${Math.round(exitMs)} ms`);
    const [back] = await jobRows(db.owner, org.id, [id]);
    expect(['queued', 'running']).toContain(back.status); // handed back (or already taken by worker 2)

    await waitFor(
      'worker 2 runs the job',
      async () => Number(await redis!.get(simStartsKey(env, id))) === 2,
      60_000,
    );
    await redis!.set(simReleaseKey(env, id), '1');
    await waitFor(
      'the job succeeded',
      async () => (await jobRows(db.owner, org.id, [id]))[0].status === 'succeeded',
      60_000,
    );
    const [row] = await jobRows(db.owner, org.id, [id]);
    expect(row.attempts).toBe(1); // handing back spent no attempt
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1); // its write committed once
  }, 360_000);
});

describe('ingest lease epochs (database)', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it("a stale worker's commit is refused after the reaper re-queued its job: rolled back, nothing written; the current one commits once", async () => {
    const org = await createOrg(db.owner);
    const [id] = await insertJobs(db.owner, org.id, 1, {}, { kind: 'embed' });
    const tenants = t.app.get(TenantTransactions);
    const jobs = t.app.get(IngestRepository);
    const tdb = t.app.get(TenantDb);
    const ctx: TenantContext = {
      requestId: 'lease-test',
      userId: null,
      orgId: org.id,
      role: null,
      isSuperAdmin: false,
    };
    const handler: IngestHandler<JobKind.Embed> = {
      kind: JobKind.Embed,
      handle: async (job) => async () => {
        await tdb.query(
          `INSERT INTO sim_job_effects (org_id, job_id, kind, attempt) VALUES ($1, $2, 'embed', $3)`,
          [job.orgId, job.jobId, job.attempt],
        );
      },
    };
    const commitAs = (epoch: number, attempt: number) =>
      runJobHandler(
        tenants,
        ctx,
        handler,
        {
          jobId: id,
          orgId: org.id,
          kind: JobKind.Embed,
          knowledgeItemId: null,
          payload: { knowledge_item_id: '00000000-0000-4000-8000-000000000000' },
          attempt,
          work: id,
          requestId: null,
        },
        { before: () => jobs.holdLease(id, epoch), finish: () => jobs.succeed(id, null) },
      );
    const lease = async () =>
      asOrg(
        db.owner,
        org.id,
        async (c) =>
          (
            await c.query(
              `SELECT status, attempts, lease_epoch, lease_owner FROM ingest_jobs WHERE id = $1`,
              [id],
            )
          ).rows[0],
      );

    const first = (await tenants.run(ctx, () => jobs.start(id, 0, 'worker-1', 60_000), 'job'))!;
    expect(await lease()).toMatchObject({
      status: 'running',
      attempts: 1,
      lease_epoch: first.lease_epoch,
      lease_owner: 'worker-1',
    });

    // Worker 1 stops renewing; its lease runs out and the reaper (the worker role, through the door) queues the job again.
    await asOrg(db.owner, org.id, (c) =>
      c.query(
        `UPDATE ingest_jobs SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE id = $1`,
        [id],
      ),
    );
    // the API's own pool (the app role) may not call it at all
    await expect(t.app.get(DataSource).query(`SELECT ingest_reap_expired(10) AS n`)).rejects.toMatchObject({ code: '42501' });
    const worker = new pg.Client({ connectionString: db.workerUrl });
    await worker.connect();
    const reaped = (await worker.query(`SELECT ingest_reap_expired(10) AS n`).finally(() => worker.end())).rows;
    expect(reaped).toEqual([{ n: 1 }]);
    expect(await lease()).toMatchObject({
      status: 'queued',
      attempts: 1,
      lease_epoch: first.lease_epoch + 1,
      lease_owner: null,
    });

    const second = (await tenants.run(ctx, () => jobs.start(id, 0, 'worker-2', 60_000), 'job'))!;
    expect(second.lease_epoch).toBe(first.lease_epoch + 2);
    expect(second.attempts).toBe(2); // the reaped attempt stays counted

    await expect(commitAs(first.lease_epoch, 1)).rejects.toBeInstanceOf(LeaseLostError);
    expect((await effectsPerJob(db.owner)).get(id)).toBeUndefined(); // the stale commit wrote nothing
    expect(await lease()).toMatchObject({ status: 'running', lease_epoch: second.lease_epoch });
    expect(await tenants.run(ctx, () => jobs.renewLease(id, first.lease_epoch, 60_000), 'job')).toBe(false);
    expect(await tenants.run(ctx, () => jobs.renewLease(id, second.lease_epoch, 60_000), 'job')).toBe(true);

    await commitAs(second.lease_epoch, 2);
    await expect(commitAs(second.lease_epoch, 2)).rejects.toBeInstanceOf(LeaseLostError); // succeeded: no second commit
    expect((await effectsPerJob(db.owner)).get(id)).toBe(1);
    expect(await lease()).toMatchObject({ status: 'succeeded' });
  });
});
