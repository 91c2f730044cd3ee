import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { createOrg, type Org } from './support/fixtures.js';
import { seedTenantRows } from './support/tenant-rows.js';

/** Row-level security at the database itself, as the app role: no application code involved. */
describe('RLS as the app role', () => {
  let db: TestDb;
  let app: pg.Pool;
  let a: Org;
  let b: Org;
  let tables: string[];

  beforeAll(async () => {
    db = await createTestDb();
    app = new pg.Pool({ connectionString: db.appUrl, max: 2 });
    a = await createOrg(db.owner);
    b = await createOrg(db.owner);
    await seedTenantRows(db.owner, a);
    await seedTenantRows(db.owner, b);
    tables = (
      await db.owner.query<{ table_name: string }>(
        `SELECT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND t.table_type = 'BASE TABLE'
          ORDER BY 1`,
      )
    ).rows.map((r) => r.table_name);
  });

  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  it('finds the tenant tables and a fixture row of each org in every one', async () => {
    expect(tables).toEqual(expect.arrayContaining(['org_members', 'rocker_threads', 'rocker_messages', 'knowledge_items']));
    for (const t of tables) {
      const n = await asOrg(db.owner, b.id, (c) => c.query(`SELECT count(*)::int AS n FROM ${t}`));
      expect(n.rows[0].n, `fixture row of ${t} (add it to test/support/tenant-rows.ts)`).toBeGreaterThan(0);
    }
  });

  it('the app role is not superuser, owns nothing, cannot bypass RLS', async () => {
    const role = await app.query(`SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user`);
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false });
    const owned = await app.query(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user`,
    );
    expect(owned.rows[0].n).toBe(0);
  });

  it('every tenant table has RLS enabled and forced', async () => {
    const r = await app.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
      `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY($1) AND relkind = 'r'`,
      [tables],
    );
    expect(r.rows).toHaveLength(tables.length);
    for (const row of r.rows) expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
  });

  it("with org A set, every command on B's rows affects 0 rows", async () => {
    for (const t of tables) {
      await asOrg(app, a.id, async (c) => {
        const bRows = await c.query(`SELECT count(*)::int AS n FROM ${t} WHERE org_id = $1`, [b.id]);
        expect(bRows.rows[0].n, `select ${t}`).toBe(0);
        // a table the app role may not write at all (the append-only org_audit_log) refuses outright
        const affected = async (cmd: string, sql: string) => {
          const may = (await c.query(`SELECT has_table_privilege(current_user, $1, $2) AS ok`, [t, cmd])).rows[0].ok;
          await c.query('SAVEPOINT cmd');
          const r = await c.query(sql, [b.id]).then(
            (res) => res.rowCount,
            (e: { code: string }) => (e.code === '42501' ? null : Promise.reject(e)),
          );
          await c.query('ROLLBACK TO SAVEPOINT cmd');
          expect(r, `${cmd} ${t}`).toBe(may ? 0 : null);
        };
        await affected('UPDATE', `UPDATE ${t} SET org_id = org_id WHERE org_id = $1`);
        await affected('DELETE', `DELETE FROM ${t} WHERE org_id = $1`);
        const own = await c.query(`SELECT count(*)::int AS n FROM ${t}`);
        expect(own.rows[0].n, `own rows of ${t}`).toBeGreaterThan(0);
      });
    }
    // B's rows are all still there.
    for (const t of tables) {
      const n = await asOrg(db.owner, b.id, (c) => c.query(`SELECT count(*)::int AS n FROM ${t}`));
      expect(n.rows[0].n).toBeGreaterThan(0);
    }
  });

  it("with org A set, inserting a row for B is refused", async () => {
    for (const t of tables) {
      // Copy one of B's own rows (read as the owner with B set) and try to insert it as the app role under A.
      const row = (await asOrg(db.owner, b.id, (c) => c.query(`SELECT to_jsonb(x) AS j FROM ${t} x LIMIT 1`))).rows[0].j;
      await expect(
        asOrg(app, a.id, (c) => c.query(`INSERT INTO ${t} SELECT * FROM jsonb_populate_record(NULL::${t}, $1)`, [row])),
        t,
      ).rejects.toMatchObject({ code: '42501' });
    }
  });

  it("moving one of A's rows to B is refused (or, where A may not write at all, touches nothing)", async () => {
    for (const t of tables) {
      const outcome = await asOrg(app, a.id, (c) => c.query(`UPDATE ${t} SET org_id = $1`, [b.id])).then(
        (r) => ({ rowCount: r.rowCount, code: undefined as string | undefined }),
        (e: { code: string }) => ({ rowCount: 0, code: e.code }),
      );
      if (outcome.code === undefined) expect(outcome.rowCount, t).toBe(0);
      else expect(outcome.code, t).toBe('42501');
      const stillA = await asOrg(db.owner, a.id, (c) => c.query(`SELECT count(*)::int AS n FROM ${t}`));
      expect(stillA.rows[0].n, t).toBeGreaterThan(0);
    }
  });

  it('with no org set: zero rows, and writes are refused', async () => {
    for (const t of tables) {
      const n = await asOrg(app, null, (c) => c.query(`SELECT count(*)::int AS n FROM ${t}`));
      expect(n.rows[0].n, t).toBe(0);
      // and on a bare connection (no transaction, no setting at all)
      const bare = await app.query(`SELECT count(*)::int AS n FROM ${t}`);
      expect(bare.rows[0].n, t).toBe(0);
    }
    await expect(
      asOrg(app, null, (c) => c.query(`INSERT INTO rocker_threads (org_id, title) VALUES ($1, 'x')`, [a.id])),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('a setting does not survive its transaction on a pooled connection', async () => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [a.id]);
      await c.query('COMMIT');
      const n = await c.query(`SELECT count(*)::int AS n FROM rocker_threads`);
      expect(n.rows[0].n).toBe(0);
    } finally {
      c.release();
    }
  });

  it('auth_context answers only for the user it is asked about', async () => {
    const r = await app.query(`SELECT org_id FROM auth_context($1)`, ['00000000-0000-0000-0000-000000000000']);
    expect(r.rows).toHaveLength(0);
    // and it is the only way around RLS on org_members
    const direct = await app.query(`SELECT count(*)::int AS n FROM org_members`);
    expect(direct.rows[0].n).toBe(0);
  });

  it('the app role cannot hold a shared connection for long: statement, lock-wait and idle-transaction timeouts', async () => {
    const c = await app.connect();
    try {
      const show = async (name: string) => (await c.query(`SHOW ${name}`)).rows[0][name];
      expect(await show('statement_timeout')).toBe('15s');
      expect(await show('lock_timeout')).toBe('5s');
      expect(await show('idle_in_transaction_session_timeout')).toBe('1min');
    } finally {
      c.release();
    }
  });
});
