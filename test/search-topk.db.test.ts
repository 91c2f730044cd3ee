import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { asTenant, createTestDb, type TestDb } from './support/db.js';
import { createOrg, type Org } from './support/fixtures.js';
import { dbUrl } from './support/urls.js';
import { loadClusteredChunks } from './support/search-corpus.js';

/**
 * Filtered vector search returns k for every org: the classic failure of one shared ANN index is
 * that the org filter runs after the index scan, so a small org gets fewer than k rows (or none).
 * 50,000 chunks of other orgs (one large org of 20,000, thirty of 1,000), an org of 7 and one of 30.
 */
describe('match_private_chunks returns k for every org size', () => {
  let db: TestDb;
  let su: pg.Client;
  let app: pg.Pool;
  let small7: Org;
  let small30: Org;
  let large: Org;
  let query: string;

  beforeAll(async () => {
    db = await createTestDb();
    su = new pg.Client({ connectionString: dbUrl(db.name, 'postgres') });
    await su.connect();
    app = db.pool(db.appUrl, 2);
    small7 = await createOrg(db.owner);
    small30 = await createOrg(db.owner);
    large = await createOrg(db.owner);
    const fillers = await Promise.all(Array.from({ length: 30 }, () => createOrg(db.owner)));
    const sizes: [string, number][] = [[small7.id, 7], [small30.id, 30], [large.id, 20_000], ...fillers.map((o) => [o.id, 1000] as [string, number])];

    // Bulk load as the superuser (fixtures only), index built after the load like a restore would.
    await su.query(`DROP INDEX private_chunks_embedding_hnsw`);
    await loadClusteredChunks(su, sizes, 0.5);
    // A cheaper graph than production's (m=16, ef_construction=64) to keep the suite fast; the
    // function's guarantee must not depend on graph quality, which is part of what this shows.
    await su.query(`SET maintenance_work_mem = '512MB'`);
    await su.query(`CREATE INDEX private_chunks_embedding_hnsw ON private_chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 24)`);
    await su.query(`VACUUM ANALYZE private_chunks`);
    query = (await su.query(`SELECT (a.v + b.v)::text AS v FROM pool a, pool b WHERE a.g = 7 AND b.g = 411`)).rows[0].v;
  }, 300_000);

  afterAll(async () => {
    await su?.end();
    await app?.end();
    await db?.drop();
  });

  const match = (org: Org, k: number, settings: Record<string, string> = {}) =>
    asTenant(app, { orgId: org.id }, async (c) => {
      for (const [name, value] of Object.entries(settings)) await c.query(`SELECT set_config($1, $2, true)`, [name, value]);
      return (await c.query(`SELECT id, similarity FROM match_private_chunks($1, $2::vector, $3)`, [org.id, query, k])).rows;
    });

  const exact = async (org: Org, k: number) =>
    (
      await su.query(`SELECT id FROM private_chunks WHERE org_id = $1 ORDER BY 1 - (embedding <=> $2::vector) DESC, id LIMIT $3`, [org.id, query, k])
    ).rows.map((r) => r.id);

  it('the corpus is as described', async () => {
    const r = await su.query(`SELECT count(*)::int AS n FROM private_chunks WHERE org_id <> ALL($1)`, [[small7.id, small30.id]]);
    expect(r.rows[0].n).toBe(50_000);
  });

  it('an org with 7 chunks gets all 7 for k=10, an org with 30 gets 10, each the exact top-k', async () => {
    const seven = await match(small7, 10);
    expect(seven.map((r) => r.id)).toEqual(await exact(small7, 10));
    expect(seven).toHaveLength(7);
    const thirty = await match(small30, 10);
    expect(thirty).toHaveLength(10);
    expect(thirty.map((r) => r.id)).toEqual(await exact(small30, 10));
    // sorted by similarity, best first
    const sims = thirty.map((r) => Number(r.similarity));
    expect([...sims].sort((a, b) => b - a)).toEqual(sims);
  });

  it('the naive plan (shared HNSW, filter after the scan) is short for the same org: the test is meaningful', async () => {
    const naive = await asTenant(app, { orgId: small7.id }, async (c) => {
      for (const s of ['hnsw.iterative_scan = off', 'enable_seqscan = off', 'enable_bitmapscan = off', 'enable_sort = off']) await c.query(`SET LOCAL ${s}`);
      return c.query(`SELECT id FROM private_chunks WHERE org_id = $1 ORDER BY embedding <=> $2::vector LIMIT 10`, [small7.id, query]);
    });
    expect(naive.rows.length).toBeLessThan(7);
  });

  it('a large org goes through HNSW and still gets k, close to the exact top-k', async () => {
    for (const k of [1, 10, 50]) {
      const got = await match(large, k);
      expect(got).toHaveLength(k);
      const truth = new Set(await exact(large, k));
      const recall = got.filter((r) => truth.has(r.id)).length / k;
      expect(recall, `recall at k=${k}`).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('when the index path answers short, the function falls back to exact and is never short', async () => {
    // Force the HNSW path for the 30-chunk org (threshold 1) and starve the iterative scan.
    const got = await match(small30, 10, { 'rocker.search_exact_threshold': '1', 'rocker.search_max_scan_tuples': '50' });
    expect(got).toHaveLength(10);
    expect(got.map((r) => r.id)).toEqual(await exact(small30, 10));
  });

  it('k larger than the org gives the whole org; k < 1 gives nothing', async () => {
    expect(await match(small30, 50)).toHaveLength(30);
    expect(await match(small30, 0)).toHaveLength(0);
  });
});
