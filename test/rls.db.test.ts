import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { installContextKeys } from '../scripts/context-keys.js';
import { asOrg, asTenant, beginTenant, createTestDb, signedBegin, TENANT_BEGIN, TEST_KEYS, type TestDb } from './support/db.js';
import { addMember, createOrg, createUser, type Org, type User } from './support/fixtures.js';
import { seedTenantRows } from './support/tenant-rows.js';

/** Row-level security at the database itself, as the app role: no application code involved. */

/** Every table with an org_id column: the tenant tables. */
async function tenantTables(owner: pg.Pool): Promise<string[]> {
  const { rows } = await owner.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND t.table_type = 'BASE TABLE'
      ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

describe('RLS as the app role', () => {
  let db: TestDb;
  let app: pg.Pool;
  let a: Org;
  let b: Org;
  let tables: string[];

  beforeAll(async () => {
    db = await createTestDb();
    app = db.pool(db.appUrl, 2);
    a = await createOrg(db.owner);
    b = await createOrg(db.owner);
    await seedTenantRows(db.owner, a);
    await seedTenantRows(db.owner, b);
    tables = await tenantTables(db.owner);
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
      await asTenant(app, { orgId: a.id }, async (c) => {
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
        asTenant(app, { orgId: a.id }, (c) => c.query(`INSERT INTO ${t} SELECT * FROM jsonb_populate_record(NULL::${t}, $1)`, [row])),
        t,
      ).rejects.toMatchObject({ code: '42501' });
    }
  });

  it("moving one of A's rows to B is refused (or, where A may not write at all, touches nothing)", async () => {
    for (const t of tables) {
      const outcome = await asTenant(app, { orgId: a.id }, (c) => c.query(`UPDATE ${t} SET org_id = $1`, [b.id])).then(
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
      const n = await asTenant(app, { orgId: null }, (c) => c.query(`SELECT count(*)::int AS n FROM ${t}`));
      expect(n.rows[0].n, t).toBe(0);
      // and on a bare connection (no transaction, no setting at all)
      const bare = await app.query(`SELECT count(*)::int AS n FROM ${t}`);
      expect(bare.rows[0].n, t).toBe(0);
    }
    await expect(
      asTenant(app, { orgId: null }, (c) => c.query(`INSERT INTO rocker_threads (org_id, title) VALUES ($1, 'x')`, [a.id])),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('a setting does not survive its transaction on a pooled connection', async () => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await beginTenant(c, { orgId: a.id });
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

  it('the app role cannot hold a shared connection for long (statement, lock-wait and idle-transaction timeouts) nor take parallel workers', async () => {
    const c = await app.connect();
    try {
      const show = async (name: string) => (await c.query(`SHOW ${name}`)).rows[0][name];
      expect(await show('statement_timeout')).toBe('15s');
      expect(await show('lock_timeout')).toBe('5s');
      expect(await show('idle_in_transaction_session_timeout')).toBe('1min');
      expect(await show('max_parallel_workers_per_gather')).toBe('0');
      // role settings are not inherited through membership: the worker role carries its own
      const worker = await db.owner.query<{ config: string[] }>(`SELECT rolconfig AS config FROM pg_roles WHERE rolname = 'rocker_worker'`);
      expect(worker.rows[0].config).toEqual(
        expect.arrayContaining(['statement_timeout=15s', 'lock_timeout=5s', 'max_parallel_workers_per_gather=0']),
      );
    } finally {
      c.release();
    }
  });
});

/** Settles a statement as its SQLSTATE (refused) or the number of rows it touched. */
const settle = (p: Promise<pg.QueryResult>) =>
  p.then(
    (r) => ({ rows: r.rowCount ?? 0, code: undefined as string | undefined }),
    (e: { code?: string }) => ({ rows: 0, code: e.code }),
  );

/**
 * As the app role over a raw connection, standing in for an SQL injection: it can set any setting
 * and call every function the app role can, but it holds no signing key.
 */
describe('a tenant context an injection cannot mint', () => {
  let db: TestDb;
  let app: pg.Pool;
  let a: Org;
  let b: Org;
  let member: User;
  let admin: User;
  let root: User;
  let tables: string[];
  let listing: string;

  /** One transaction of the app role; `forge` runs first (the injection's settings), then `fn`. */
  const injected = async <T>(forge: (c: pg.PoolClient) => Promise<unknown>, fn: (c: pg.PoolClient) => Promise<T>) => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await forge(c);
      return await fn(c);
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
      c.release();
    }
  };
  const setAll = (c: pg.ClientBase, s: Record<string, string>) =>
    c.query(`SELECT set_config(k, v, true) FROM jsonb_each_text($1::jsonb) AS e(k, v)`, [JSON.stringify(s)]);
  /** What set_config alone would claim: org B, the super_admin, as TenantTransactions writes it. */
  const forgedB = () => ({ 'app.org_id': b.id, 'app.user_id': root.id, 'app.actor_role': 'super_admin', 'app.request_id': 'x' });

  /** Every command of the app role on `t` under `forge`: B's rows read, written, moved, and a copy of one inserted. */
  const attempts = async (t: string, forge: (c: pg.PoolClient) => Promise<unknown>) => {
    const row = (await asOrg(db.owner, b.id, (c) => c.query(`SELECT to_jsonb(x) AS j FROM ${t} x LIMIT 1`))).rows[0].j;
    const run = (sql: string, params: unknown[]) => injected(forge, (c) => settle(c.query(sql, params)));
    return {
      read: await injected(forge, async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${t} WHERE org_id = $1`, [b.id])).rows[0].n),
      update: await run(`UPDATE ${t} SET org_id = org_id WHERE org_id = $1`, [b.id]),
      delete: await run(`DELETE FROM ${t} WHERE org_id = $1`, [b.id]),
      insert: await run(`INSERT INTO ${t} SELECT * FROM jsonb_populate_record(NULL::${t}, $1)`, [row]),
    };
  };
  const refusedAll = (r: Awaited<ReturnType<typeof attempts>>, t: string) => {
    expect(r.read, `read ${t}`).toBe(0);
    for (const w of ['update', 'delete'] as const) {
      if (r[w].code) expect(r[w].code, `${w} ${t}`).toBe('42501');
      else expect(r[w].rows, `${w} ${t}`).toBe(0);
    }
    expect(r.insert.code, `insert ${t}`).toBe('42501');
  };

  beforeAll(async () => {
    db = await createTestDb();
    app = db.pool(db.appUrl, 2);
    a = await createOrg(db.owner);
    b = await createOrg(db.owner);
    await seedTenantRows(db.owner, a);
    await seedTenantRows(db.owner, b);
    member = await createUser(db.owner);
    admin = await createUser(db.owner);
    root = await createUser(db.owner, { superAdmin: true });
    await addMember(db.owner, a, member, 'member');
    await addMember(db.owner, b, admin, 'admin');
    listing = await asOrg(db.owner, b.id, async (c) => {
      await c.query(`SELECT set_config('app.actor_role', 'admin', true)`);
      const item = (await c.query(`SELECT id FROM knowledge_items LIMIT 1`)).rows[0].id;
      return (
        await c.query(`INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) VALUES ($1, $2, 'b') RETURNING id`, [b.id, item])
      ).rows[0].id as string;
    });
    tables = await tenantTables(db.owner);
  });

  afterAll(async () => {
    await app?.end();
    await db?.drop();
  });

  it("set_config alone (B's org, the super_admin) reads none of B's rows and every write fails, on every tenant table", async () => {
    expect(tables.length).toBeGreaterThan(10);
    for (const t of tables) refusedAll(await attempts(t, (c) => setAll(c, forgedB())), t);
  });

  it('set_config inside a verified context of A (switching to B) voids the context instead', async () => {
    for (const t of tables) {
      refusedAll(await attempts(t, async (c) => (await beginTenant(c, { orgId: a.id, userId: member.id, role: 'member' }), setAll(c, { 'app.org_id': b.id }))), t);
    }
    // and A's own rows are gone with it: the context is void, not widened
    const own = await injected(
      async (c) => (await beginTenant(c, { orgId: a.id, userId: member.id, role: 'member' }), setAll(c, { 'app.org_id': b.id })),
      async (c) => (await c.query(`SELECT count(*)::int AS n FROM rocker_threads`)).rows[0].n,
    );
    expect(own).toBe(0);
  });

  it('tenant_begin() refuses a context without a valid MAC: none, wrong, another key, tampered, expired, unknown key', async () => {
    const ctx = { orgId: b.id, userId: root.id, role: null, actorRole: 'super_admin' };
    const call = (params: unknown[]) => injected(async () => undefined, (c) => settle(c.query(TENANT_BEGIN, params)));
    const good = signedBegin(ctx);
    expect((await call(good)).code).toBeUndefined(); // the control: the service's own call works
    const variants: [string, unknown[]][] = [
      ['no mac', [...good.slice(0, 7), null]],
      ['a random mac', [...good.slice(0, 7), Buffer.alloc(32, 7)]],
      ['signed by another key under this id', [...good.slice(0, 6), TEST_KEYS[1].id, good[7]]],
      ['signed for org A, used for org B', (() => { const p = signedBegin({ ...ctx, orgId: a.id }); p[0] = b.id; return p; })()],
      ['the actor role changed after signing', (() => { const p = signedBegin({ ...ctx, actorRole: 'user' }); p[3] = 'super_admin'; return p; })()],
      ['expired', signedBegin(ctx, { expiresMs: Date.now() - 1 })],
      ['expiry too far ahead', signedBegin(ctx, { expiresMs: Date.now() + 3_600_000 })],
      ['an unknown key id', [...good.slice(0, 6), 'nokey', good[7]]],
    ];
    for (const [what, params] of variants) expect((await call(params)).code, what).toBe('RKA02');
    // the unsigned tenant_begin() of before is gone
    expect((await call([])).code).toBeDefined();
    expect((await settle(app.query(`SELECT tenant_begin($1::uuid, $2::uuid, NULL, 'super_admin', 'x')`, [b.id, root.id]))).code).toBe('42883');
  });

  it("tenant_begin() refuses another user's id: a signed context whose user is not a member with that role", async () => {
    const begin = (ctx: Parameters<typeof signedBegin>[0]) => injected(async () => undefined, (c) => settle(c.query(TENANT_BEGIN, signedBegin(ctx))));
    expect((await begin({ orgId: b.id, userId: member.id, role: 'member' })).code).toBe('RKA01'); // A's member in B
    expect((await begin({ orgId: a.id, userId: member.id, role: 'owner' })).code).toBe('RKA01'); // a raised role
    expect((await begin({ orgId: a.id, userId: member.id, actorRole: 'super_admin' })).code).toBe('RKA01'); // not a super_admin
    expect((await begin({ orgId: a.id, userId: member.id, role: 'member', actorRole: 'admin' })).code).toBe('RKA02'); // actor ≠ role
    expect((await begin({ orgId: a.id, userId: member.id, role: null, actorRole: 'system' })).code).toBe('RKA02'); // a job has no user
    expect((await begin({ orgId: a.id, userId: member.id, role: 'member' })).code).toBeUndefined();
  });

  it('two keys are valid at once (rotation): contexts signed by either open; a key the database does not hold does not', async () => {
    for (const key of TEST_KEYS) {
      const n = await injected(
        (c) => beginTenant(c, { orgId: a.id, userId: member.id, role: 'member' }, { key }),
        async (c) => (await c.query(`SELECT count(*)::int AS n FROM rocker_threads`)).rows[0].n,
      );
      expect(n, key.id).toBeGreaterThan(0);
    }
    const stranger = { id: 'test1', secret: Buffer.alloc(32, 9) };
    const r = await injected(async () => undefined, (c) => settle(c.query(TENANT_BEGIN, signedBegin({ orgId: a.id }, { key: stranger }))));
    expect(r.code).toBe('RKA02');
    // the end of a rotation: installing only the new key with --prune forgets the old one
    const owner = await db.owner.connect();
    try {
      await expect(installContextKeys(owner, [stranger])).rejects.toThrow(/installed with another secret/);
      expect(await installContextKeys(owner, [TEST_KEYS[1]], { prune: true })).toEqual({ added: [], kept: ['test2'], removed: ['test1'] });
      const old = await injected(async () => undefined, (c) => settle(c.query(TENANT_BEGIN, signedBegin({ orgId: a.id }, { key: TEST_KEYS[0] }))));
      expect(old.code).toBe('RKA02');
      expect(await installContextKeys(owner, TEST_KEYS)).toEqual({ added: ['test1'], kept: ['test2'], removed: [] });
    } finally {
      owner.release();
    }
  });

  it('a forged actor_role cannot write flags, limits or market rows (set_config alone, or on top of a real member context)', async () => {
    const writes: [string, string, unknown[]][] = [
      ['flag', `INSERT INTO feature_flags (key, default_enabled) VALUES ('forged_flag', true)`, []],
      ['flag override', `INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, 'forged_flag', true)`, [a.id]],
      ['limits', `INSERT INTO org_limits (org_id, job_concurrency) VALUES ($1, 999) ON CONFLICT (org_id) DO UPDATE SET job_concurrency = 999`, [a.id]],
      ['limits update', `UPDATE org_limits SET job_concurrency = 999`, []],
      ['market listing', `INSERT INTO market_listings (publisher_org_id, knowledge_item_id, title) SELECT $1, id, 'forged' FROM knowledge_items LIMIT 1`, [a.id]],
      ['market chunk', `INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
                        VALUES ($1, $2, 99, 'forged', array_fill(0.1::real, ARRAY[512])::vector)`, [listing, b.id]],
      ['market listing of B', `UPDATE market_listings SET title = 'forged'`, []],
    ];
    const forges: [string, (c: pg.PoolClient) => Promise<unknown>][] = [
      ['set_config alone', (c) => setAll(c, { ...forgedB(), 'app.org_id': a.id })],
      ['super_admin over a member context', async (c) => (await beginTenant(c, { orgId: a.id, userId: member.id, role: 'member' }), setAll(c, { 'app.actor_role': 'super_admin' }))],
      ['admin over a member context', async (c) => (await beginTenant(c, { orgId: a.id, userId: member.id, role: 'member' }), setAll(c, { 'app.actor_role': 'admin' }))],
      ['super_admin user and actor over a member context', async (c) => (await beginTenant(c, { orgId: a.id, userId: member.id, role: 'member' }), setAll(c, { 'app.actor_role': 'super_admin', 'app.user_id': root.id }))],
    ];
    const before = (await db.owner.query(`SELECT (SELECT count(*) FROM feature_flags) AS f, (SELECT count(*) FROM market_chunks) AS m, (SELECT count(*) FROM market_listings) AS l`)).rows[0];
    for (const [how, forge] of forges) {
      for (const [what, sql, params] of writes) {
        const r = await injected(forge, (c) => settle(c.query(sql, params)));
        if (r.code) expect(r.code, `${how}: ${what}`).toBe('42501');
        else expect(r.rows, `${how}: ${what}`).toBe(0);
      }
    }
    expect((await db.owner.query(`SELECT (SELECT count(*) FROM feature_flags) AS f, (SELECT count(*) FROM market_chunks) AS m, (SELECT count(*) FROM market_listings) AS l`)).rows[0]).toEqual(before);
    // the control: the real super_admin context writes the flag
    await asTenant(app, { orgId: null, userId: root.id, actorRole: 'super_admin' }, (c) =>
      c.query(`INSERT INTO feature_flags (key, default_enabled) VALUES ('real_flag', true)`),
    );
  });

  it('a context made in one transaction is worthless in the next (same connection or another), mark included', async () => {
    const c = await app.connect();
    const other = await app.connect();
    try {
      await c.query('BEGIN');
      await beginTenant(c, { orgId: b.id, userId: admin.id, role: 'admin' });
      const settings = (
        await c.query(`SELECT jsonb_object_agg(name, current_setting(name)) AS s FROM unnest(ARRAY['app.org_id', 'app.user_id', 'app.actor_role', 'app.request_id', 'app.ctx_mark']) name`)
      ).rows[0].s as Record<string, string>;
      expect(settings['app.ctx_mark']).toMatch(/^[0-9a-f]{64}$/);
      expect((await c.query(`SELECT count(*)::int AS n FROM rocker_threads`)).rows[0].n).toBeGreaterThan(0);
      await c.query('COMMIT');
      for (const [name, conn] of [['same connection', c], ['another connection', other]] as const) {
        await conn.query('BEGIN');
        await setAll(conn, settings);
        expect((await conn.query(`SELECT count(*)::int AS n FROM rocker_threads`)).rows[0].n, name).toBe(0);
        expect((await conn.query(`SELECT app_ctx_org() AS o`)).rows[0].o, name).toBeNull();
        const w = await settle(conn.query(`INSERT INTO rocker_threads (org_id, title) VALUES ($1, 'replayed')`, [b.id]));
        expect(w.code, name).toBe('42501');
        await conn.query('ROLLBACK');
      }
    } finally {
      c.release();
      other.release();
    }
  });

  it('the policies check the mark once per statement (an InitPlan), not once per row', async () => {
    const plan = await asTenant(app, { orgId: b.id }, async (c) => {
      // three rows of B, so a per-row check would show loops=3
      await c.query(`INSERT INTO rocker_threads (org_id, title) VALUES ($1, 'p1'), ($1, 'p2')`, [b.id]);
      return (await c.query(`EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT title FROM rocker_threads`)).rows
        .map((r) => r['QUERY PLAN'] as string)
        .join('\n');
    });
    expect(plan).toMatch(/InitPlan 1 \(returns \$0\)\n\s+->\s+Result \(actual rows=1 loops=1\)\n\s+Output: app_ctx_org\(\)/);
    // the org is a parameter of the scan (an index condition here), compared with the InitPlan's one value
    expect(plan).toMatch(/(Cond|Filter): \(rocker_threads\.org_id = \$0\)/);
    expect(plan).not.toMatch(/SubPlan/);
    expect(plan).toMatch(/actual rows=3 loops=1/);
  });

  it('the API role cannot execute the ingest dispatcher functions; the worker role can', async () => {
    const fns = ['ingest_dispatch_claim(integer, integer, integer, boolean)', 'ingest_dispatch_unclaim(uuid[], uuid[])',
      'ingest_dispatched_queued(integer, integer)', 'ingest_queue_stats()', 'ingest_reap_expired(integer)'];
    for (const fn of fns) {
      const r = (await db.owner.query(`SELECT has_function_privilege('rocker_app', $1, 'EXECUTE') AS app, has_function_privilege('rocker_worker', $1, 'EXECUTE') AS worker`, [fn])).rows[0];
      expect(r, fn).toEqual({ app: false, worker: true });
    }
    expect((await settle(app.query(`SELECT ingest_reap_expired(10)`))).code).toBe('42501');
    expect((await settle(app.query(`SELECT * FROM ingest_dispatch_claim(1, 1, 1, false)`))).code).toBe('42501');
    const worker = new pg.Client({ connectionString: db.workerUrl });
    await worker.connect();
    try {
      expect((await worker.query(`SELECT ingest_reap_expired(10) AS n`)).rows[0].n).toBe(0);
      // and the worker role is no wider than the app role on tenant rows
      expect((await worker.query(`SELECT count(*)::int AS n FROM rocker_threads`)).rows[0].n).toBe(0);
      const role = (await worker.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`)).rows[0];
      expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    } finally {
      await worker.end();
    }
  });
});
