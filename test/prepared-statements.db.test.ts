import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { orgWithRoles } from './support/fixtures.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { TenantDb, TenantTransactions, type TenantContext } from '../src/tenancy/tenant-context.js';

/**
 * DATABASE_PREPARED_STATEMENTS: a request's tenant statements are named prepared statements on a
 * direct connection (parsed and planned once per connection, reused by later transactions); a job's
 * are not; a cached plan a migration invalidates costs one failed transaction and its connection,
 * not every later one on it. One pooled connection, so every run below lands on the same backend
 * unless it is replaced.
 */
describe('prepared tenant statements', () => {
  let db: TestDb;
  let t: TestApp;
  let tx: TenantTransactions;
  let tdb: TenantDb;
  let a: TenantContext;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '1', DATABASE_PREPARED_STATEMENTS: 'auto' }));
    tx = t.app.get(TenantTransactions);
    tdb = t.app.get(TenantDb);
    const o = await orgWithRoles(db.owner);
    a = { requestId: 'prep', userId: o.users.member.id, orgId: o.org.id, role: 'member', isSuperAdmin: false };
    await db.owner.query(`CREATE TABLE prep_probe (org_id uuid NOT NULL, a int NOT NULL)`);
    await db.owner.query(`GRANT SELECT ON prep_probe TO rocker_app`);
    await db.owner.query(`INSERT INTO prep_probe VALUES ($1, 1)`, [a.orgId]);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  /** How often this backend has run `sql` as a prepared statement (0: it holds no such statement). */
  const preparedRuns = (sql: string) =>
    tx.run(a, async () => {
      const row = await tdb.one<{ runs: number; pid: number }>(
        `SELECT (SELECT coalesce(sum(generic_plans + custom_plans), 0)::int FROM pg_prepared_statements WHERE statement = $1) AS runs, pg_backend_pid() AS pid`,
        [sql],
      );
      return row!;
    });

  it("a request's statement is prepared once on its connection and run again by later transactions", async () => {
    const sql = `SELECT count(*)::int AS n, pg_backend_pid() AS pid FROM rocker_threads WHERE org_id = $1 /* request */`;
    const pids = [];
    for (let i = 0; i < 3; i++) pids.push((await tx.run(a, () => tdb.one<{ pid: number }>(sql, [a.orgId])))!.pid);
    const after = await preparedRuns(sql);
    expect(new Set([...pids, after.pid]).size).toBe(1);
    expect(after.runs).toBe(3);
  });

  it('one prepared statement on one connection answers each org only its own rows (the policy is evaluated per run, not planned in)', async () => {
    const o2 = await orgWithRoles(db.owner);
    const b: TenantContext = { requestId: 'prep-b', userId: o2.users.member.id, orgId: o2.org.id, role: 'member', isSuperAdmin: false };
    for (const [ctx, title] of [[a, 'of a'], [b, 'of b']] as const)
      await asOrg(db.owner, ctx.orgId, (c) => c.query(`INSERT INTO rocker_threads (org_id, title) VALUES ($1, $2)`, [ctx.orgId, title]));
    // no org filter of its own: only the row-level policy separates the orgs
    const sql = `SELECT title, pg_backend_pid() AS pid FROM rocker_threads /* policy only */`;
    const seen: { org: string; titles: string[]; pid: number }[] = [];
    for (const ctx of [a, b, a, b, a, b, a, b]) {
      const rows = await tx.run(ctx, () => tdb.query<{ title: string; pid: number }>(sql));
      seen.push({ org: ctx.orgId!, titles: rows.map((r) => r.title), pid: rows[0].pid });
    }
    for (const s of seen) expect(s.titles).toEqual([s.org === a.orgId ? 'of a' : 'of b']);
    expect(new Set(seen.map((s) => s.pid)).size).toBe(1);
    expect((await preparedRuns(sql)).runs).toBe(8);
  });

  it("a job's statements stay unnamed (planned on each run)", async () => {
    const sql = `SELECT count(*)::int AS n FROM rocker_threads WHERE org_id = $1 /* job */`;
    for (let i = 0; i < 3; i++) await tx.run(a, () => tdb.query(sql, [a.orgId]), 'job');
    expect((await preparedRuns(sql)).runs).toBe(0);
  });

  it('a result type changed under a prepared statement fails one transaction, whose connection is replaced even when the caller swallows the error', async () => {
    const sql = `SELECT *, pg_backend_pid() AS pid FROM prep_probe WHERE org_id = $1`;
    const first = (await tx.run(a, () => tdb.one<{ pid: number; a: number }>(sql, [a.orgId])))!;
    expect(first).not.toHaveProperty('b');
    await db.owner.query(`ALTER TABLE prep_probe ADD COLUMN b int NOT NULL DEFAULT 2`);
    const failed = await tx.run(a, () => tdb.query(sql, [a.orgId]).then(() => undefined, (e: unknown) => e));
    expect(failed).toMatchObject({ code: '0A000' });
    const next = (await tx.run(a, () => tdb.one<{ pid: number; b: number }>(sql, [a.orgId])))!;
    expect(next.b).toBe(2);
    expect(next.pid).not.toBe(first.pid);
  });
});

describe('a prepared tenant_begin() the server lost', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '1', DATABASE_PREPARED_STATEMENTS: 'true' }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('fails one transaction (26000), whose connection is replaced: the next prepares it afresh', async () => {
    const tx = t.app.get(TenantTransactions);
    const tdb = t.app.get(TenantDb);
    const o = await orgWithRoles(db.owner);
    const ctx: TenantContext = { requestId: 'lost', userId: o.users.member.id, orgId: o.org.id, role: 'member', isSuperAdmin: false };
    const pid = () => tx.run(ctx, () => tdb.one<{ pid: number }>(`SELECT pg_backend_pid() AS pid /* lost */`));
    const first = (await pid())!.pid;
    // the server forgets the connection's tenant_begin() (as a pooler swapping its server connection would)
    await tx.run(ctx, async () => {
      const begin = await tdb.one<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE statement LIKE 'SELECT tenant_begin(%'`);
      await tdb.query(`DEALLOCATE ${begin!.name}`);
    });
    await expect(pid()).rejects.toMatchObject({ code: '26000' });
    const next = (await pid())!.pid;
    expect(next).not.toBe(first);
  });
});

describe('prepared tenant statements off', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it.each([
    ['DATABASE_PREPARED_STATEMENTS=false', { DATABASE_PREPARED_STATEMENTS: 'false' }],
    // auto, with a DATABASE_DIRECT_URL other than DATABASE_URL (as when DATABASE_URL is a pooler's;
    // here the same server under another host name, so the boot's LISTEN self-test still passes)
    ['auto with a separate direct URL', { DATABASE_DIRECT_URL: 'direct' }],
  ])('%s: a request sends its statements unnamed', async (_name, extra) => {
    await t?.close();
    const vars: Record<string, string> = { ...extra };
    if (vars.DATABASE_DIRECT_URL) vars.DATABASE_DIRECT_URL = db.appUrl.replace('127.0.0.1', 'localhost');
    expect(vars.DATABASE_DIRECT_URL ?? '').not.toBe(db.appUrl);
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '1', ...vars }));
    const tx = t.app.get(TenantTransactions);
    const tdb = t.app.get(TenantDb);
    const o = await orgWithRoles(db.owner);
    const ctx: TenantContext = { requestId: 'off', userId: o.users.member.id, orgId: o.org.id, role: 'member', isSuperAdmin: false };
    const sql = `SELECT count(*)::int AS n FROM rocker_threads WHERE org_id = $1 /* off */`;
    for (let i = 0; i < 2; i++) await tx.run(ctx, () => tdb.query(sql, [ctx.orgId]));
    const held = await tx.run(ctx, () => tdb.one<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements`));
    expect(held!.n).toBe(0);
  });
});
