import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROWS = 200_000;

/**
 * A page of a list is one index range whatever the org keeps: a page of an org with 200,000 jobs
 * (or threads) costs about what a page of an org with 20 does. Two ways it did not: a bare
 * `ORDER BY created_at` sorted by the select list's text `created_at` (isoTs), so every row of the
 * org was read and sorted for each page (65-130 ms); and `?status=failed` walked every job of the
 * org to find none (21 ms), without ingest_jobs_status_page_idx (`?kind=ocr` likewise, 48-98 ms,
 * without ingest_jobs_kind_page_idx). Either was a cost an org could send at its api rate. The bound is a ratio of medians measured here, 3x; the differences it guards are
 * 5x to 30x. API only.
 */
describe('list pages: one range, whatever the org keeps', () => {
  let db: TestDb;
  let t: TestApp;
  let big: Tenant;
  let small: Tenant;

  const fill = (org: Tenant, n: number) =>
    asOrg(db.owner, org.org.id, async (c) => {
      await c.query(
        `INSERT INTO ingest_jobs (org_id, kind, status, created_at, queued_at, finished_at)
         SELECT $1, 'embed', 'succeeded', now() - g * interval '1 second', now(), now() FROM generate_series(1, $2) g`,
        [org.org.id, n],
      );
      await c.query(
        `INSERT INTO rocker_threads (org_id, title, created_at) SELECT $1, 'thread ' || g, now() - g * interval '1 second' FROM generate_series(1, $2) g`,
        [org.org.id, n],
      );
    });

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' }));
    [big, small] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    await fill(big, ROWS);
    await fill(small, 20);
    await db.owner.query('ANALYZE ingest_jobs, rocker_threads');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  /** Median time of 15 requests of `path` by `org`, each answering `n` rows. */
  const timed = async (org: Tenant, path: string, n: number) => {
    const once = async () => {
      const t0 = performance.now();
      const res = await request(t.url).get(path).set('Authorization', `Bearer ${org.tokens.member}`).expect(200);
      expect(res.body.data).toHaveLength(n);
      return performance.now() - t0;
    };
    await once(); // warm
    const ms: number[] = [];
    for (let i = 0; i < 15; i++) ms.push(await once());
    return median(ms);
  };

  it('GET /v1/ingest/jobs: a page of an org of 200,000 jobs, and an empty page of its failed ones or of a kind it has none of, cost about what a small org`s page does (3x)', async () => {
    const alone = await timed(small, '/v1/ingest/jobs?limit=20', 20);
    expect(await timed(big, '/v1/ingest/jobs?limit=20', 20)).toBeLessThan(3 * alone);
    expect(await timed(big, '/v1/ingest/jobs?status=failed&limit=20', 0)).toBeLessThan(3 * alone);
    expect(await timed(big, '/v1/ingest/jobs?kind=ocr&limit=20', 0)).toBeLessThan(3 * alone);
    // still so after the statement has served every mix of filters many times (a prepared
    // statement's generic plan cannot drop a filter its parameter switches off: StatementNames)
    expect(await timed(big, '/v1/ingest/jobs?status=failed&limit=20', 0)).toBeLessThan(3 * alone);
  });

  it('GET /v1/threads: a page of an org of 200,000 threads costs about what a small org`s page does (3x)', async () => {
    const alone = await timed(small, '/v1/threads?limit=20', 20);
    expect(await timed(big, '/v1/threads?limit=20', 20)).toBeLessThan(3 * alone);
  });
});
