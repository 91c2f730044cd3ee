import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg } from './support/fixtures.js';
import { insertJobs } from './support/ingest.js';
import { TenantDb, TenantTransactions, type TenantContext } from '../src/tenancy/tenant-context.js';
import { IngestRepository } from '../src/modules/ingest/ingest.repository.js';
import { SearchRepository } from '../src/modules/search/search.repository.js';
import { encodeVectors } from '../src/modules/search/vector-literal.js';
import { LeaseLostError } from '../src/modules/ingest/ingest.types.js';

/**
 * The job path's statements that do several things at once (the chunk upsert with its delete, a
 * job's start with its item, the asynchronous commit with tenant_begin), through the app's own
 * repositories against a real database. An API-only app: no worker takes the jobs inserted here.
 */
describe('a job in few statements (repositories, real Postgres)', () => {
  let db: TestDb;
  let t: TestApp;
  let org: string;
  let item: string;
  let ctx: TenantContext;
  // one-hot, with a value no float4 holds exactly at another place: the literal must carry both
  const vec = (x: number) => Array.from({ length: 512 }, (_, i) => (i === x ? 1 : i === 511 ? -0.1234567 : 0));

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' }));
    org = (await createOrg(db.owner)).id;
    item = await asOrg(db.owner, org, async (c) =>
      (await c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'k', 'text', 'x') RETURNING id`, [org])).rows[0].id,
    );
    ctx = { requestId: 'batching-test', userId: null, orgId: org, role: null, isSuperAdmin: false };
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const chunks = async () =>
    (
      await asOrg(db.owner, org, (c) =>
        c.query(`SELECT chunk_index, content FROM private_chunks WHERE knowledge_item_id = $1 ORDER BY chunk_index`, [item]),
      )
    ).rows;
  const replace = (texts: string[]) =>
    t.app.get(TenantTransactions).run(ctx, () =>
      t.app.get(SearchRepository).replaceChunks(item, texts, encodeVectors(texts.map((_, i) => vec(i)))),
    'job');

  it("an item's chunks are written once per index: a re-run replaces them, a shorter set drops the rest, none drops all", async () => {
    await replace(['a', 'b', 'c']);
    expect(await chunks()).toEqual([
      { chunk_index: 0, content: 'a' },
      { chunk_index: 1, content: 'b' },
      { chunk_index: 2, content: 'c' },
    ]);
    // each vector arrives as sent and in its chunk's place (the bytea literal, read as text[] then vector)
    const stored = await asOrg(db.owner, org, (c) =>
      c.query(
        `SELECT c.chunk_index,
                c.embedding = (SELECT ('[' || string_agg(CASE WHEN g = c.chunk_index THEN '1' WHEN g = 511 THEN '-0.1234567' ELSE '0' END, ',' ORDER BY g) || ']')::vector
                                 FROM generate_series(0, 511) g) AS same
           FROM private_chunks c WHERE c.knowledge_item_id = $1 ORDER BY c.chunk_index`,
        [item],
      ),
    );
    expect(stored.rows).toEqual([0, 1, 2].map((i) => ({ chunk_index: i, same: true })));
    await replace(['a', 'b', 'c']); // at-least-once: the same write again leaves one set
    expect(await chunks()).toHaveLength(3);
    await replace(['x', 'y']);
    expect(await chunks()).toEqual([
      { chunk_index: 0, content: 'x' },
      { chunk_index: 1, content: 'y' },
    ]);
    await replace([]);
    expect(await chunks()).toEqual([]);
  });

  it('a start takes a new lease epoch and marks the item processing in one statement; the stale epoch is refused at commit', async () => {
    const tenants = t.app.get(TenantTransactions);
    const jobs = t.app.get(IngestRepository);
    const [id] = await insertJobs(db.owner, org, 1, {}, { kind: 'embed', itemId: item });
    const asyncStart = (owner: string) => tenants.run(ctx, () => jobs.start(id, 0, owner, 60_000), 'job', { asyncCommit: true });
    const itemStatus = async () =>
      (await asOrg(db.owner, org, (c) => c.query(`SELECT status FROM knowledge_items WHERE id = $1`, [item]))).rows[0].status;

    const first = (await asyncStart('worker-1'))!;
    expect(first).toMatchObject({ id, knowledge_item_id: item, attempts: 1 });
    expect(first.wait_s).toBeGreaterThanOrEqual(0);
    expect(await itemStatus()).toBe('processing');
    // Delivered again while running (its worker stalled): a new epoch, no new wait.
    const second = (await asyncStart('worker-2'))!;
    expect(second).toMatchObject({ lease_epoch: first.lease_epoch + 1, attempts: 2, wait_s: null });

    const commit = (epoch: number) =>
      tenants.run(ctx, async () => {
        await jobs.holdLease(id, epoch);
        await jobs.succeed(id, item);
      }, 'job');
    await expect(commit(first.lease_epoch)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await itemStatus()).toBe('processing');
    await commit(second.lease_epoch);
    expect(await itemStatus()).toBe('ready');
    expect(await asyncStart('worker-3')).toBeUndefined(); // finished: a late copy is skipped
  });

  it('an asynchronous commit: synchronous_commit off and the tenant set, both from the first statement', async () => {
    const tdb = t.app.get(TenantDb);
    const seen = await t.app.get(TenantTransactions).run(
      ctx,
      async () => (await tdb.one<{ sc: string; org: string }>(`SELECT current_setting('synchronous_commit') AS sc, app_ctx_org()::text AS org`))!,
      'job',
      { asyncCommit: true },
    );
    expect(seen).toEqual({ sc: 'off', org });
    const sync = await t.app.get(TenantTransactions).run(ctx, async () => (await tdb.one<{ sc: string }>(`SELECT current_setting('synchronous_commit') AS sc`))!, 'job');
    expect(sync.sc).toBe('on');
  });
});
