import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '../src/database/data-source.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { createOrg } from './support/fixtures.js';

/**
 * Migrations that change existing data, tested on a database that holds such data: the last
 * migration is reverted (as `npm run migrate:revert` does), rows it must clean up are planted, and
 * it is applied again (as `npm run migrate` does).
 */
describe('migration ListingItemLink (a market listing cannot outlive its knowledge item)', () => {
  let db: TestDb;
  const ds = () => createDataSource({ url: db.ownerUrl, poolSize: 1, applicationName: 'rocker-migrate-test' });
  const fk = async () =>
    (await db.owner.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'market_listings_knowledge_item_fk'`)).rows[0].n as number;

  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const from = MIGRATIONS.findIndex((m) => m.name === 'ListingItemLink1764100700000');
  const later = MIGRATIONS.slice(from).map((m) => m.name);

  it('reverts, then removes orphaned listings (and their chunks) when applied again, keeping the others', async () => {
    const source = ds();
    await source.initialize();
    let kept: string | undefined;
    let orphan: string | undefined;
    try {
      for (let i = 0; i < later.length; i++) await source.undoLastMigration({ transaction: 'each' });
      expect(await fk()).toBe(0);

      const org = await createOrg(db.owner);
      ({ kept, orphan } = await asOrg(db.owner, org.id, async (c) => {
        await c.query(`SELECT set_config('app.actor_role', 'admin', true)`);
        const item = (await c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'kept', 'text', 'kept') RETURNING id`, [org.id])).rows[0].id;
        const listing = async (itemId: string) => {
          const id = (await c.query(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, $2, 'l') RETURNING id`, [org.id, itemId])).rows[0].id as string;
          await c.query(
            `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
             VALUES ($1, $2, 0, 'published text', array_fill(0.1::real, ARRAY[512])::vector)`,
            [id, org.id],
          );
          return id;
        };
        return { kept: await listing(item), orphan: await listing('00000000-0000-4000-8000-000000000001') };
      }));

      const ran = await source.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).toEqual(later);
    } finally {
      await source.destroy();
    }
    expect(await fk()).toBe(1);
    const rows = (await db.owner.query(`SELECT id FROM market_listings`)).rows.map((r) => r.id);
    expect(rows).toContain(kept);
    expect(rows).not.toContain(orphan);
    expect((await db.owner.query(`SELECT count(*)::int AS n FROM market_chunks WHERE listing_id = $1`, [orphan])).rows[0].n).toBe(0);
    // RLS is forced again on both tables once the migration has run
    const forced = (await db.owner.query(
      `SELECT relname, relforcerowsecurity FROM pg_class WHERE relname IN ('market_listings', 'knowledge_items') ORDER BY relname`,
    )).rows;
    expect(forced).toEqual([
      { relname: 'knowledge_items', relforcerowsecurity: true },
      { relname: 'market_listings', relforcerowsecurity: true },
    ]);
  });
});

describe('migration IngestNotifyNewOnly (only new work wakes the dispatchers)', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('a new or re-queued job NOTIFYs; a started or finished one does not', async () => {
    const org = await createOrg(db.owner);
    const listener = await db.owner.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    try {
      await listener.query('LISTEN ingest_jobs');
      const inOrg = (sql: string, params: unknown[] = []) => asOrg(db.owner, org.id, (c) => c.query(sql, params));
      const id = (await inOrg(`INSERT INTO ingest_jobs (org_id, kind, payload) VALUES ($1, 'embed', '{}') RETURNING id`, [org.id])).rows[0].id;
      await expect.poll(() => heard).toEqual(['new']);
      await inOrg(`UPDATE ingest_jobs SET status = 'running' WHERE id = $1`, [id]);
      await inOrg(`UPDATE ingest_jobs SET status = 'succeeded' WHERE id = $1`, [id]);
      await inOrg(`UPDATE ingest_jobs SET status = 'failed' WHERE id = $1`, [id]);
      await inOrg(`UPDATE ingest_jobs SET status = 'queued' WHERE id = $1`, [id]); // a retry: new work
      // notifications arrive in commit order: the retry's 'new' comes second only if nothing came between
      await expect.poll(() => heard.length).toBe(2);
      expect(heard).toEqual(['new', 'new']);
    } finally {
      listener.release();
    }
  });
});
