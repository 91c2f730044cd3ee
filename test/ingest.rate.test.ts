import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg } from './support/fixtures.js';
import { countByStatus, createSimTable, insertJobs, jobRows, waitFor } from './support/ingest.js';
import { withSimHandlers } from './support/sim-handlers.js';

const RATE = 4; // starts per org per second; burst = one second's worth

/** INGEST_ORG_RATE: an org's job starts are spaced out (GCRA in Redis), without spending attempts. */
describe('ingest: per-org start rate', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { INGEST_ORG_RATE: String(RATE), INGEST_ORG_CONCURRENCY: '4', INGEST_DISPATCH_INTERVAL_MS: '200' }), {
      override: withSimHandlers,
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('12 instant jobs of one org: a burst of 4, then one per 250 ms; another org is not held back; no attempt spent', async () => {
    const a = (await createOrg(db.owner)).id;
    const b = (await createOrg(db.owner)).id;
    const idsA = await insertJobs(db.owner, a, 12, { work_ms: 0 });
    const idsB = await insertJobs(db.owner, b, 2, { work_ms: 0 });
    await waitFor('A done', async () => (await countByStatus(db.owner, a, idsA)).succeeded === 12, 60_000);
    await waitFor('B done', async () => (await countByStatus(db.owner, b, idsB)).succeeded === 2, 60_000);
    const rowsA = await jobRows(db.owner, a, idsA);
    const rowsB = await jobRows(db.owner, b, idsB);
    expect([...rowsA, ...rowsB].every((r) => r.attempts === 1)).toBe(true);
    const startsA = rowsA.map((r) => r.started_us! / 1000).sort((x, y) => x - y);
    // The n-th start (0-based) is due (n - (burst - 1)) intervals after the first. started_at is
    // written after the slot is taken, later on a busy machine (the first one 114 ms late in a
    // clean-clone CI run): one interval of slack for each start, and the whole backlog's span, where
    // that delay is small beside 2 s, within 150 ms. Unlimited, all 12 start within about 100 ms.
    const interval = 1000 / RATE;
    for (let n = RATE; n < startsA.length; n++) {
      expect(startsA[n] - startsA[0]).toBeGreaterThanOrEqual((n - RATE) * interval);
    }
    expect(startsA[startsA.length - 1] - startsA[0]).toBeGreaterThanOrEqual((startsA.length - RATE) * interval - 150);
    // B has its own budget: both its jobs start long before A's backlog is through.
    for (const r of rowsB) expect(r.started_us! / 1000).toBeLessThan(startsA[startsA.length - 2]);
  });

  it("an org's own job_rate (org_limits) replaces the platform rate for it: 1 per second, one at a time", async () => {
    const c = (await createOrg(db.owner)).id;
    await asOrg(db.owner, c, async (x) => {
      await x.query(`SELECT set_config('app.actor_role', 'super_admin', true)`); // org_limits' write policies
      await x.query(`INSERT INTO org_limits (org_id, policies) VALUES ($1, '{"job_rate": 1}'::jsonb)`, [c]);
    });
    const ids = await insertJobs(db.owner, c, 4, { work_ms: 0 });
    await waitFor('C done', async () => (await countByStatus(db.owner, c, ids)).succeeded === 4, 60_000);
    const starts = (await jobRows(db.owner, c, ids)).map((r) => r.started_us! / 1000).sort((x, y) => x - y);
    // burst = one second's worth = 1: every start is a full second after the one before (less slack)
    for (let n = 1; n < starts.length; n++) expect(starts[n] - starts[0]).toBeGreaterThanOrEqual(n * 1000 - 100);
  });
});
