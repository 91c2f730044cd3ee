import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { asOrg, asTenant, createTestDb, type TestDb } from './support/db.js';
import { addMember, createOrg, createUser, type Org, type User } from './support/fixtures.js';
import { dbUrl } from './support/urls.js';

const VEC = `array_fill(0.1::real, ARRAY[512])::vector`;

/**
 * Market ownership at the database (issue 16, item 3): a chunk can only be written into a listing
 * that the writer's org owns. Driven as the app role over raw connections, standing in for an SQL
 * injection or a bug in the service: no application code is involved.
 */
describe('market_chunks: only into a listing of the writing org', () => {
  let db: TestDb;
  let app: pg.Pool;
  let a: Org;
  let b: Org;
  let aAdmin: User;
  let root: User;
  let aListing: string;
  let bListing: string;

  /** A listing of `org` with one chunk, written as the owner role with the org's admin actor set. */
  async function listingOf(org: Org): Promise<string> {
    return asOrg(db.owner, org.id, async (c) => {
      await c.query(`SELECT set_config('app.actor_role', 'admin', true)`);
      const item = (
        await c.query(
          `INSERT INTO knowledge_items (org_id, title, source_kind, content_text, status) VALUES ($1, 'item', 'text', 'text', 'ready') RETURNING id`,
          [org.id],
        )
      ).rows[0].id;
      const listing = (
        await c.query(
          `INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title, chunk_count) VALUES ($1, $2, 'l', 1) RETURNING id`,
          [org.id, item],
        )
      ).rows[0].id as string;
      await c.query(
        `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 0, 'original', ${VEC})`,
        [listing, org.id],
      );
      return listing;
    });
  }

  /**
   * One transaction as the app role in the context the service itself opens for a caller: the
   * first statement is tenant_begin() with that caller's org, user, org role and actor role,
   * signed as the service signs it.
   */
  const asAppContext = <T>(
    orgId: string,
    user: User,
    role: string | null,
    actorRole: string,
    fn: (c: pg.PoolClient) => Promise<T>,
  ): Promise<T> =>
    asTenant(app, { orgId, userId: user.id, role, actorRole, requestId: 'market-ownership-test' }, fn);

  const chunksOf = async (listing: string) =>
    (
      await db.owner.query(
        `SELECT publisher_org_id, chunk_index, content FROM market_chunks WHERE listing_id = $1 ORDER BY chunk_index`,
        [listing],
      )
    ).rows;

  beforeAll(async () => {
    db = await createTestDb();
    app = db.pool(db.appUrl, 2);
    a = await createOrg(db.owner);
    b = await createOrg(db.owner);
    aAdmin = await createUser(db.owner);
    await addMember(db.owner, a, aAdmin, 'admin');
    root = await createUser(db.owner, { superAdmin: true });
    aListing = await listingOf(a);
    bListing = await listingOf(b);
  });

  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  it("an admin context of org A inserts no chunk into org B's listing (42501), with either publisher", async () => {
    for (const publisher of [() => a.id, () => b.id]) {
      await expect(
        asAppContext(a.id, aAdmin, 'admin', 'admin', (c) =>
          c.query(
            `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 7, 'injected', ${VEC})`,
            [bListing, publisher()],
          ),
        ),
      ).rejects.toMatchObject({ code: '42501' });
    }
    // the same statement into A's own listing passes: the refusal above is about ownership
    await asAppContext(a.id, aAdmin, 'admin', 'admin', (c) =>
      c.query(
        `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 7, 'own', ${VEC})`,
        [aListing, a.id],
      ),
    );
    expect(await chunksOf(bListing)).toEqual([
      { publisher_org_id: b.id, chunk_index: 0, content: 'original' },
    ]);
    expect((await chunksOf(aListing)).map((r) => r.content)).toEqual(['original', 'own']);
  });

  it("a bulk copy (INSERT ... SELECT, as publishing does) into B's listing is refused whole", async () => {
    await expect(
      asAppContext(a.id, aAdmin, 'admin', 'admin', (c) =>
        c.query(
          `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
           SELECT $1, $2, 100 + g, 'bulk', ${VEC} FROM generate_series(1, 5) g`,
          [bListing, a.id],
        ),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    expect(await chunksOf(bListing)).toHaveLength(1);
  });

  it("moving one of A's chunks into B's listing is refused", async () => {
    await expect(
      asAppContext(a.id, aAdmin, 'admin', 'admin', (c) =>
        c.query(`UPDATE market_chunks SET listing_id = $1 WHERE listing_id = $2`, [bListing, aListing]),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    expect(await chunksOf(bListing)).toHaveLength(1);
  });

  it("a super_admin working in org A's context cannot write into B's listing either", async () => {
    await expect(
      asAppContext(a.id, root, null, 'super_admin', (c) =>
        c.query(
          `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 8, 'root', ${VEC})`,
          [bListing, a.id],
        ),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it("for every role, even one that bypasses RLS, a chunk's publisher is its listing's publisher (foreign key)", async () => {
    const su = new pg.Client({ connectionString: dbUrl(db.name, 'postgres') });
    await su.connect();
    try {
      await expect(
        su.query(
          `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 9, 'su', ${VEC})`,
          [bListing, a.id],
        ),
      ).rejects.toMatchObject({ code: '23503' });
      // a listing cannot change org while it has chunks
      await expect(
        su.query(`UPDATE market_listings SET publisher_org_id = $1 WHERE id = $2`, [a.id, bListing]),
      ).rejects.toMatchObject({
        code: '23503',
      });
    } finally {
      await su.end();
    }
    expect(await chunksOf(bListing)).toHaveLength(1);
  });

  it('deleting a listing still deletes its chunks (the foreign key cascades)', async () => {
    const listing = await listingOf(a);
    await asAppContext(a.id, aAdmin, 'admin', 'admin', (c) =>
      c.query(`DELETE FROM market_listings WHERE id = $1`, [listing]),
    );
    expect(await chunksOf(listing)).toEqual([]);
  });
});
