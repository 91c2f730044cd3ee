import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '../src/database/data-source.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import { installContextKeys } from '../scripts/context-keys.js';
import { asOrg, beginTenant, createTestDb, TEST_KEYS, type TestDb } from './support/db.js';
import { createOrg } from './support/fixtures.js';
import { seedTenantRows } from './support/tenant-rows.js';

/** Objects an extension created (pgvector's types, functions, operators) are not the migrations'. */
const NOT_EXTENSION = (oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = ${oid} AND e.deptype = 'e')`;
/** An ACL as a sorted list: re-granting after a revert may append entries in another order. */
const ACL = (col: string) => `(SELECT array_agg(x::text ORDER BY x::text) FROM unnest(${col}) x)`;

/**
 * What the migrations define, read from pg_catalog as text (no OIDs): relations with owner, RLS
 * flags and grants (indexes apart); columns; constraints; indexes; policies; functions; triggers; types; the
 * schema's and the database's default privileges.
 */
const CATALOG: Record<string, string> = {
  relations: `SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner, c.relrowsecurity, c.relforcerowsecurity,
                     ${ACL('c.relacl')} AS acl, c.reloptions
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind <> 'i' AND ${NOT_EXTENSION('c.oid')} ORDER BY 1`,
  columns: `SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid) AS default, a.attgenerated, a.attidentity, a.attcompression, ${ACL('a.attacl')} AS acl
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             ORDER BY 1, 2`,
  constraints: `SELECT c.conrelid::regclass::text AS rel, c.conname, pg_get_constraintdef(c.oid) AS def
                  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                 WHERE n.nspname = 'public' AND ${NOT_EXTENSION('c.oid')} ORDER BY 1, 2`,
  indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
  policies: `SELECT tablename, policyname, permissive, roles, cmd, qual, with_check FROM pg_policies
              WHERE schemaname = 'public' ORDER BY 1, 2`,
  functions: `SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args, pg_get_userbyid(p.proowner) AS owner,
                     ${ACL('p.proacl')} AS acl, pg_get_functiondef(p.oid) AS def
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') AND ${NOT_EXTENSION('p.oid')} ORDER BY 1, 2`,
  triggers: `SELECT t.tgrelid::regclass::text AS rel, t.tgname, pg_get_triggerdef(t.oid) AS def
               FROM pg_trigger t WHERE NOT t.tgisinternal ORDER BY 1, 2`,
  types: `SELECT t.typname, t.typtype, pg_get_userbyid(t.typowner) AS owner
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') AND ${NOT_EXTENSION('t.oid')} ORDER BY 1`,
  schema: `SELECT nspname, pg_get_userbyid(nspowner) AS owner, ${ACL('nspacl')} AS acl FROM pg_namespace
            WHERE nspname = 'public'`,
  defaultPrivileges: `SELECT pg_get_userbyid(defaclrole) AS role, defaclobjtype, ${ACL('defaclacl')} AS acl
                        FROM pg_default_acl ORDER BY 1, 2`,
  extensions: `SELECT extname, extversion FROM pg_extension ORDER BY 1`,
};

async function catalog(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [k, sql] of Object.entries(CATALOG)) out[k] = (await pool.query(sql)).rows;
  return out;
}

describe('migration ToastLz4 (documents compressed with lz4)', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('the document columns compress with lz4, and a large item written now is stored so', async () => {
    const cols = await db.owner.query(
      `SELECT c.relname || '.' || a.attname AS col, a.attcompression AS method
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE (c.relname, a.attname) IN (('knowledge_items', 'content_text'), ('knowledge_items', 'content_html'), ('knowledge_blobs', 'data'))
        ORDER BY 1`,
    );
    expect(cols.rows).toEqual([
      { col: 'knowledge_blobs.data', method: 'l' },
      { col: 'knowledge_items.content_html', method: 'l' },
      { col: 'knowledge_items.content_text', method: 'l' },
    ]);
    const org = await createOrg(db.owner);
    const stored = await asOrg(db.owner, org.id, async (c) => {
      await c.query(
        `INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'big', 'text', repeat('granite and basalt ', 20000))`,
        [org.id],
      );
      return (await c.query(`SELECT pg_column_compression(content_text) AS method FROM knowledge_items WHERE title = 'big'`)).rows[0];
    });
    expect(stored).toEqual({ method: 'lz4' });
  });
});

/**
 * Migrations that change existing data, tested on a database that holds such data: the last
 * migration is reverted (as `npm run migrate:revert` does), rows it must clean up are planted, and
 * it is applied again (as `npm run migrate` does).
 */
describe('migration ListingItemLink (a market listing cannot outlive its knowledge item)', () => {
  let db: TestDb;
  const ds = () =>
    createDataSource({ url: db.ownerUrl, poolSize: 1, applicationName: 'rocker-migrate-test' });
  const fk = async () =>
    (
      await db.owner.query(
        `SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'market_listings_knowledge_item_fk'`,
      )
    ).rows[0].n as number;

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
        const item = (
          await c.query(
            `INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'kept', 'text', 'kept') RETURNING id`,
            [org.id],
          )
        ).rows[0].id;
        const listing = async (itemId: string) => {
          const id = (
            await c.query(
              `INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, $2, 'l') RETURNING id`,
              [org.id, itemId],
            )
          ).rows[0].id as string;
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
    expect(
      (await db.owner.query(`SELECT count(*)::int AS n FROM market_chunks WHERE listing_id = $1`, [orphan]))
        .rows[0].n,
    ).toBe(0);
    // RLS is forced again on both tables once the migration has run
    const forced = (
      await db.owner.query(
        `SELECT relname, relforcerowsecurity FROM pg_class WHERE relname IN ('market_listings', 'knowledge_items') ORDER BY relname`,
      )
    ).rows;
    expect(forced).toEqual([
      { relname: 'knowledge_items', relforcerowsecurity: true },
      { relname: 'market_listings', relforcerowsecurity: true },
    ]);
  });
});

describe('migration MarketChunkOwnership (a chunk only in a listing of its own org)', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const from = MIGRATIONS.findIndex((m) => m.name === 'MarketChunkOwnership1796205800000');
  const later = MIGRATIONS.slice(from).map((m) => m.name);
  const VEC = `array_fill(0.1::real, ARRAY[512])::vector`;

  it("reverts, then deletes chunks written into another org's listing when applied again, and recounts that listing", async () => {
    const source = createDataSource({ url: db.ownerUrl, poolSize: 1, applicationName: 'rocker-migrate-test' });
    await source.initialize();
    const [a, b] = [await createOrg(db.owner), await createOrg(db.owner)];
    const listingOf = (orgId: string) =>
      asOrg(db.owner, orgId, async (c) => {
        await c.query(`SELECT set_config('app.actor_role', 'admin', true)`);
        const item = (
          await c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'i', 'text', 'i') RETURNING id`, [orgId])
        ).rows[0].id;
        const id = (
          await c.query(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, $2, 'l') RETURNING id`, [orgId, item])
        ).rows[0].id as string;
        await c.query(`INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 0, 'own', ${VEC})`, [
          id,
          orgId,
        ]);
        return id;
      });
    try {
      for (let i = 0; i < later.length; i++) await source.undoLastMigration({ transaction: 'each' });
      const bListing = await listingOf(b.id);
      // what the old policy let through: an admin context of A writes into B's listing
      await asOrg(db.owner, a.id, async (c) => {
        await c.query(`SELECT set_config('app.actor_role', 'admin', true)`);
        await c.query(`INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding) VALUES ($1, $2, 1, 'foreign', ${VEC})`, [
          bListing,
          a.id,
        ]);
      });
      await asOrg(db.owner, b.id, async (c) => {
        await c.query(`SELECT set_config('app.actor_role', 'admin', true)`);
        await c.query(`UPDATE market_listings SET chunk_count = 2 WHERE id = $1`, [bListing]);
      });
      expect((await db.owner.query(`SELECT content FROM market_chunks WHERE listing_id = $1 ORDER BY 1`, [bListing])).rows).toEqual([
        { content: 'foreign' },
        { content: 'own' },
      ]);

      const ran = await source.runMigrations({ transaction: 'each' });
      expect(ran.map((m) => m.name)).toEqual(later);
      expect((await db.owner.query(`SELECT content, publisher_org_id FROM market_chunks WHERE listing_id = $1`, [bListing])).rows).toEqual([
        { content: 'own', publisher_org_id: b.id },
      ]);
      expect((await db.owner.query(`SELECT chunk_count FROM market_listings WHERE id = $1`, [bListing])).rows[0].chunk_count).toBe(1);
    } finally {
      await source.destroy();
    }
    const forced = (
      await db.owner.query(`SELECT relname, relforcerowsecurity FROM pg_class WHERE relname IN ('market_listings', 'market_chunks') ORDER BY relname`)
    ).rows;
    expect(forced).toEqual([
      { relname: 'market_chunks', relforcerowsecurity: true },
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
      const inOrg = (sql: string, params: unknown[] = []) =>
        asOrg(db.owner, org.id, (c) => c.query(sql, params));
      const id = (
        await inOrg(
          `INSERT INTO ingest_jobs (org_id, kind, payload) VALUES ($1, 'embed', '{}') RETURNING id`,
          [org.id],
        )
      ).rows[0].id;
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

/** The owner's data source knowing only the first `n` migrations (to apply them one at a time). */
const firstMigrations = (url: string, n: number) =>
  new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS.slice(0, n),
    migrationsTableName: 'migrations',
    extra: { max: 1 },
    applicationName: 'rocker-migrate-test',
  });

/**
 * Every migration reverted, newest first (as `npm run migrate:revert` does, once per migration),
 * then applied again one at a time on a scratch database. At every level the catalog on the way up
 * must equal the catalog on the way down: each down() undoes exactly its up(), and the schema
 * after the round trip is the schema before it.
 */
describe('every migration, down and up again', () => {
  let db: TestDb;
  let app: pg.Pool;
  /** down[k] / up[k]: the catalog with the first k migrations applied, reached by reverting / applying. */
  const down: Record<string, unknown[]>[] = [];
  const up: Record<string, unknown[]>[] = [];
  let recorded: number;
  const ran: string[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    app = db.pool(db.appUrl, 1);
    down[MIGRATIONS.length] = await catalog(db.owner);
    const all = createDataSource({ url: db.ownerUrl, poolSize: 1, applicationName: 'rocker-migrate-test' });
    await all.initialize();
    try {
      for (let k = MIGRATIONS.length - 1; k >= 0; k--) {
        await all.undoLastMigration({ transaction: 'each' });
        down[k] = await catalog(db.owner);
      }
    } finally {
      await all.destroy();
    }
    recorded = (await db.owner.query(`SELECT count(*)::int AS n FROM migrations`)).rows[0].n;
    up[0] = await catalog(db.owner);
    for (let k = 1; k <= MIGRATIONS.length; k++) {
      const source = firstMigrations(db.ownerUrl, k);
      await source.initialize();
      try {
        ran.push(...(await source.runMigrations({ transaction: 'each' })).map((m) => m.name));
      } finally {
        await source.destroy();
      }
      up[k] = await catalog(db.owner);
    }
  }, 300_000);
  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  it("reverts to an empty schema: only TypeORM's bookkeeping table is left", () => {
    expect(down[0].relations.map((r) => (r as { relname: string }).relname)).toEqual([
      'migrations',
      'migrations_id_seq',
    ]);
    expect(down[0].functions).toEqual([]);
    expect(down[0].policies).toEqual([]);
    expect(down[0].triggers).toEqual([]);
    expect(recorded).toBe(0);
  });

  it('applies them again, one at a time, to the same catalog at every step (tables, columns, policies, functions, indexes, grants)', () => {
    expect(ran).toEqual(MIGRATIONS.map((m) => m.name));
    const full = down[MIGRATIONS.length];
    expect(full.relations.length).toBeGreaterThan(10);
    expect(full.policies.length).toBeGreaterThan(20);
    expect(full.functions.length).toBeGreaterThan(5);
    for (let k = 1; k <= MIGRATIONS.length; k++) {
      for (const section of Object.keys(CATALOG)) {
        expect(up[k][section], `${section} after ${MIGRATIONS[k - 1].name}`).toEqual(down[k][section]);
      }
    }
  });

  it("leaves the app role working: RLS shows an org its own rows and no one else's", async () => {
    const [a, b] = [await createOrg(db.owner), await createOrg(db.owner)];
    await seedTenantRows(db.owner, a);
    await seedTenantRows(db.owner, b);
    // the round trip dropped the verification keys with their table: installed again, as a deployment does
    const owner = await db.owner.connect();
    await installContextKeys(owner, TEST_KEYS).finally(() => owner.release());
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await beginTenant(c, { orgId: a.id });
      const rows = (await c.query<{ org_id: string }>(`SELECT org_id FROM knowledge_items`)).rows;
      await c.query('COMMIT');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.org_id === a.id)).toBe(true);
    } finally {
      c.release();
    }
  });
});
