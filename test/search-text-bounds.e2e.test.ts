import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { dbUrl } from './support/urls.js';
import { insertChunks } from './support/chunks.js';
import { peakActive } from './support/activity.js';
import { TenantTransactions } from '../src/tenancy/tenant-context.js';
import { SearchRepository } from '../src/modules/search/search.repository.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

const TIMEOUT_MS = 20;
const CANDIDATES = 10;
/** A phrase of one word every row holds many times but never 399 times in a row (1,996 characters): each row is read and matched. */
const CRAFTED = `"${Array(399).fill('rock').join(' ')}"`;

/**
 * The full-text half of a hybrid search is bounded in work (SEARCH_TEXT_CANDIDATES matches ranked
 * at most), in time (SEARCH_TEXT_TIMEOUT_MS, then the vector half answers alone) and in number
 * (SEARCH_TEXT_CONCURRENCY at once per process, fairly across orgs), so no query an org writes can
 * hold database backends for long. Rows are written as the owner (an embed job's chunks, with one
 * constant vector), API only. This database's vector and full-text indexes are dropped first, so
 * 40,000 chunks are written in seconds: the crafted phrases read every row whatever the index.
 */
describe('hybrid search: the full-text half is bounded', () => {
  let db: TestDb;
  let t: TestApp;
  let big: Tenant;
  let small: Tenant;

  /** `n` chunks of one item in `org`, each `text` (the chunks' trigger indexes it for full-text search). */
  const chunks = (org: Tenant, n: number, text: string) =>
    asOrg(db.owner, org.org.id, async (c) => {
      const item = (
        await c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, status, content_text) VALUES ($1, 't', 'text', 'ready', 'x') RETURNING id`, [
          org.org.id,
        ])
      ).rows[0].id;
      await insertChunks(c, { orgId: org.org.id, itemId: item, n, content: text, vectors: 'constant' });
    });
  const search = (org: Tenant, query: string) =>
    request(t.url).post('/v1/search/private').set('Authorization', `Bearer ${org.tokens.member}`).send({ query, k: 5, mode: 'hybrid' });

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', SEARCH_TEXT_TIMEOUT_MS: String(TIMEOUT_MS), SEARCH_TEXT_CANDIDATES: String(CANDIDATES) }),
    );
    const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
    await request(t.url)
      .put('/v1/admin/flags/hybrid_search')
      .set('Authorization', `Bearer ${root}`)
      .send({ enabled: true, rollout_percent: 100 })
      .expect(200);
    big = await orgWithRoles(db.owner);
    small = await orgWithRoles(db.owner);
    await db.owner.query('DROP INDEX private_chunks_embedding_hnsw, private_chunks_tsv_gin');
    await chunks(big, 40_000, 'rock stone granite basalt quartz');
    await chunks(small, 30, 'granite is an igneous rock');
    await db.owner.query('ANALYZE private_chunks');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('ranks at most SEARCH_TEXT_CANDIDATES matches', async () => {
    const ctx = { requestId: 'test', userId: small.users.member.id, orgId: small.org.id, role: 'member' as const, isSuperAdmin: false };
    const rows = await t.app.get(TenantTransactions).run(ctx, () => t.app.get(SearchRepository).textPrivate('granite', 100));
    expect(rows).toHaveLength(CANDIDATES); // 30 chunks match
  });

  it('a text half past its time is cancelled: the search answers from the vector half, mode "vector"', async () => {
    // the precondition: unbounded, this query takes several times the limit
    const plan = await asOrg(db.owner, big.org.id, (c) =>
      c.query(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM private_chunks WHERE org_id = $1 AND tsv @@ websearch_to_tsquery('english', $2)`, [
        big.org.id,
        CRAFTED,
      ]),
    );
    expect(plan.rows[0]['QUERY PLAN'][0]['Execution Time']).toBeGreaterThan(4 * TIMEOUT_MS);

    const res = await search(big, CRAFTED).expect(200);
    expect(res.body.mode).toBe('vector');
    expect(res.body.data).toHaveLength(5);
    // the same org's next search is served as usual (the transaction went on, the connection is clean)
    const next = await search(big, 'granite').expect(200);
    expect(next.body.data).toHaveLength(5);
    // a query within its time is fused as before
    const fused = await search(small, 'igneous granite').expect(200);
    expect(fused.body.mode).toBe('hybrid');
  });

  it('runs SEARCH_TEXT_CONCURRENCY text halves at once: an org sending four keeps one backend busy with them', async () => {
    // an instance whose text halves may run long enough to overlap, were they not taken in turns
    const slow = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', SEARCH_TEXT_TIMEOUT_MS: '2000', SEARCH_TEXT_BUDGET_MS: '0' }));
    try {
      const phrase = '"rock rock rock rock"'; // short: the queries take turns on the embedding model for a few ms each
      const send = () =>
        request(slow.url).post('/v1/search/private').set('Authorization', `Bearer ${big.tokens.member}`).send({ query: phrase, k: 5, mode: 'hybrid' });
      const t0 = performance.now();
      expect((await send().expect(200)).body.mode).toBe('hybrid');
      expect(performance.now() - t0).toBeGreaterThan(50); // one takes long enough to be seen
      const four = Promise.all(Array.from({ length: 4 }, () => send().expect(200)));
      const { most, samples } = await peakActive(db.pool(dbUrl(db.name, 'postgres'), 1), db.name, '%websearch_to_tsquery%', four);
      expect(samples).toBeGreaterThan(3);
      expect(most).toBe(1); // seen running, never two at once
    } finally {
      await slow.close();
    }
  });

  it("an org past its share of text time (SEARCH_TEXT_BUDGET_MS) is answered from the vector half until it refills; another org is not", async () => {
    // 1 ms a second: one costly phrase puts the org tens of seconds in debt
    const budgeted = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', SEARCH_TEXT_TIMEOUT_MS: '2000', SEARCH_TEXT_BUDGET_MS: '1' }));
    try {
      const send = (org: Tenant, query: string) =>
        request(budgeted.url).post('/v1/search/private').set('Authorization', `Bearer ${org.tokens.member}`).send({ query, k: 5, mode: 'hybrid' }).expect(200);
      const t0 = performance.now();
      expect((await send(big, '"rock rock rock rock"')).body.mode).toBe('hybrid');
      expect(performance.now() - t0).toBeGreaterThan(50); // it spent more than the budget holds
      const next = await send(big, 'granite');
      expect(next.body.mode).toBe('vector');
      expect(next.body.data).toHaveLength(5);
      expect((await send(small, 'igneous granite')).body.mode).toBe('hybrid');
    } finally {
      await budgeted.close();
    }
  });
});
