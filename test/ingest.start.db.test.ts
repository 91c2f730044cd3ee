import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { asOrg, asTenant, createTestDb, type TestDb } from './support/db.js';
import { createOrg } from './support/fixtures.js';
import { insertJobs } from './support/ingest.js';
import { START_JOB_SQL } from '../src/modules/ingest/ingest.repository.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows every node of the plan read or discarded (a walk over the org's rows shows up here). */
function rowsTouched(node: PlanNode): number {
  const own =
    node['Actual Rows'] * node['Actual Loops'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0);
  return own + (node.Plans ?? []).reduce((n, p) => n + rowsTouched(p), 0);
}

/**
 * A job's start reaches its row and its item's by primary key, whatever the org's backlog: the
 * statement the worker runs (START_JOB_SQL), as the worker role under a verified tenant context,
 * explained with the rows it touched.
 */
describe('starting an ingest job costs the same beside any backlog', () => {
  let db: TestDb;
  let worker: pg.Pool;

  beforeAll(async () => {
    db = await createTestDb();
    // db.pool: ended by drop(), its errors heard (a client still ending when DROP ... WITH (FORCE)
    // terminates it failed a clean-clone CI run with an uncaught 57P01 from a pool of its own)
    worker = db.pool(db.workerUrl, 2);
  });
  afterAll(async () => {
    await db?.drop();
  });

  // (a few hundred rows fit in a few pages, where a sequential scan is the planner's right choice)
  it('with 3,000 jobs and items of the org queued, the start touches a handful of rows', async () => {
    const backlog = 3000;
    // No statistics yet, as in a new database, or stale ones after a bulk insert (autovacuum analyses
    // a while later): the plan must not depend on them.
    const org = await createOrg(db.owner);
    const items = await asOrg(db.owner, org.id, async (c) =>
      (
        await c.query<{ id: string }>(
          `INSERT INTO knowledge_items (org_id, title, source_kind, content_text)
           SELECT $1, 'k' || i, 'text', 'x' FROM generate_series(1, $2) i RETURNING id`,
          [org.id, backlog],
        )
      ).rows.map((r) => r.id),
    );
    await insertJobs(db.owner, org.id, backlog);
    const [id] = await insertJobs(db.owner, org.id, 1, {}, { kind: 'embed', itemId: items[backlog - 1] });

    const { plan, started, item } = await asTenant(worker, { orgId: org.id }, async (c) => {
      const explained = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${START_JOB_SQL}`, [id, 60_000, 'test-worker', org.id, 0]);
      const job = await c.query(`SELECT status, lease_epoch FROM ingest_jobs WHERE id = $1`, [id]);
      const it = await c.query(`SELECT status FROM knowledge_items WHERE id = $1`, [items[backlog - 1]]);
      return { plan: explained.rows[0]['QUERY PLAN'][0].Plan as PlanNode, started: job.rows[0], item: it.rows[0] };
    });
    // the statement did its work: the job runs under a new epoch, its item is processing
    expect(started).toEqual({ status: 'running', lease_epoch: 1 });
    expect(item).toEqual({ status: 'processing' });
    // a walk over the org's jobs or items would read thousands; by key it reads a few
    expect(rowsTouched(plan), JSON.stringify(plan, null, 1)).toBeLessThan(20);
  });
  it("a copy made for an earlier generation (a job cancelled, then retried) is not started; the current generation's is", async () => {
    const org = await createOrg(db.owner);
    const [id] = await insertJobs(db.owner, org.id, 1, {}, { kind: 'embed' });
    // what a retry of a cancelled job leaves: queued again as generation 1 (its generation-0 copy may still wait in the queue)
    await asOrg(db.owner, org.id, (c) =>
      c.query(`UPDATE ingest_jobs SET status = 'queued', generation = generation + 1 WHERE id = $1`, [id]),
    );
    const start = (generation: number) =>
      asTenant(worker, { orgId: org.id }, async (c) => {
        const started = await c.query(START_JOB_SQL, [id, 60_000, 'test-worker', org.id, generation]);
        const row = await c.query(`SELECT status, attempts, lease_epoch FROM ingest_jobs WHERE id = $1`, [id]);
        return { started: started.rowCount, row: row.rows[0] };
      });
    expect(await start(0)).toEqual({ started: 0, row: { status: 'queued', attempts: 0, lease_epoch: 0 } });
    expect(await start(1)).toEqual({ started: 1, row: { status: 'running', attempts: 1, lease_epoch: 1 } });
    // and once running, a stale copy delivered again still is not (it would take the lease)
    expect(await start(0)).toEqual({ started: 0, row: { status: 'running', attempts: 1, lease_epoch: 1 } });
  });
});
