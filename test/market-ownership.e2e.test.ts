import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { MarketWriterTestModule } from './support/market-writer.module.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/**
 * Market ownership through the API (issue 16, item 3): no request of org A writes into org B's
 * listing, and every attempt is a clean 4xx problem+json, never a 500.
 */
describe('market ownership through the API', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  let B: Tenant;
  let aItem: string;
  let bItem: string;
  let bListing: string;

  /** An embedded item of the org (status ready, one chunk), written directly: no model needed. */
  const readyItem = (tenant: Tenant, text: string) =>
    asOrg(db.owner, tenant.org.id, async (c) => {
      const id = (
        await c.query(
          `INSERT INTO knowledge_items (org_id, title, source_kind, content_text, status) VALUES ($1, $2, 'text', $2, 'ready') RETURNING id`,
          [tenant.org.id, text],
        )
      ).rows[0].id as string;
      await c.query(
        `INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
         VALUES ($1, $2, 0, $3, array_fill(0.1::real, ARRAY[512])::vector)`,
        [tenant.org.id, id, text],
      );
      return id;
    });
  const as = (token: string) => ({
    post: (path: string) => request(t.url).post(path).set('Authorization', `Bearer ${token}`),
    del: (path: string) => request(t.url).delete(path).set('Authorization', `Bearer ${token}`),
  });
  const chunksOf = async (listing: string) =>
    (
      await db.owner.query(
        `SELECT publisher_org_id, content FROM market_chunks WHERE listing_id = $1 ORDER BY chunk_index`,
        [listing],
      )
    ).rows;
  const expectProblem = (res: request.Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status, request_id: expect.any(String) });
  };

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api' }), {
      imports: [MarketWriterTestModule],
    });
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
    aItem = await readyItem(A, 'A: text of org A');
    bItem = await readyItem(B, 'B: text of org B');
    bListing = (await as(B.tokens.admin).post(`/v1/knowledge/${bItem}/publish`).expect(201)).body.id;
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it("publishing B's item as A's admin or owner → 404; B's listing is untouched", async () => {
    for (const token of [A.tokens.admin, A.tokens.owner]) {
      expectProblem(await as(token).post(`/v1/knowledge/${bItem}/publish`), 404);
    }
    expect(await chunksOf(bListing)).toEqual([{ publisher_org_id: B.org.id, content: 'B: text of org B' }]);
  });

  it("withdrawing B's listing as A's admin → 404; it is still there", async () => {
    expectProblem(await as(A.tokens.admin).del(`/v1/market/listings/${bListing}`), 404);
    expect(await chunksOf(bListing)).toHaveLength(1);
  });

  it("a route that writes into a caller-named listing (a bug) still cannot write into B's: 404, nothing written", async () => {
    const res = await as(A.tokens.admin).post(`/test/market/listings/${bListing}/chunks`);
    expectProblem(res, 404);
    expect(JSON.stringify(res.body)).not.toMatch(/market_chunks|policy|SQL/i);
    expect(await chunksOf(bListing)).toEqual([{ publisher_org_id: B.org.id, content: 'B: text of org B' }]);
    // the same route into A's own listing works: the refusal is about ownership
    const aListing = (await as(A.tokens.admin).post(`/v1/knowledge/${aItem}/publish`).expect(201)).body.id;
    expect(
      (await as(A.tokens.admin).post(`/test/market/listings/${aListing}/chunks`).expect(201)).body,
    ).toEqual({
      written: 1,
    });
    expect((await chunksOf(aListing)).map((r) => r.publisher_org_id)).toEqual([A.org.id, A.org.id]);
  });
});
