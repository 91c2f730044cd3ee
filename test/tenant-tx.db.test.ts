import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.js';
import { orgWithRoles } from './support/fixtures.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { TenantDb, TenantTransactions, type TenantContext } from '../src/tenancy/tenant-context.js';

/**
 * The tenant transaction on its plain pg client: one transaction per run, nested runs join it, side
 * by side runs never share a connection, an error rolls back and the connection goes back clean,
 * and TenantDb refuses to run outside one.
 */
describe('tenant transactions', () => {
  let db: TestDb;
  let t: TestApp;
  let tx: TenantTransactions;
  let tdb: TenantDb;
  let a: TenantContext;
  let b: TenantContext;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '4' }));
    tx = t.app.get(TenantTransactions);
    tdb = t.app.get(TenantDb);
    const [oa, ob] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    const ctx = (o: typeof oa): TenantContext => ({ requestId: 'tx', userId: o.users.member.id, orgId: o.org.id, role: 'member', isSuperAdmin: false });
    [a, b] = [ctx(oa), ctx(ob)];
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const txid = async () => (await tdb.one<{ x: string; pid: number; org: string }>(`SELECT txid_current()::text AS x, pg_backend_pid() AS pid, current_setting('app.org_id') AS org`))!;

  it('a nested run joins the open transaction (same backend, same transaction) with its own tenant', async () => {
    const [outer, inner, after] = await tx.run(a, async () => {
      const o = await txid();
      const i = await tx.run(b, txid);
      return [o, i, await txid()];
    });
    expect(inner.pid).toBe(outer.pid);
    expect(inner.x).toBe(outer.x);
    expect(outer.org).toBe(a.orgId);
    expect(inner.org).toBe(b.orgId);
    expect(after.x).toBe(outer.x);
  });

  it('runs side by side get a connection and a transaction each', async () => {
    const both = await tx.run(a, async () => {
      // two runs started from inside one transaction's context, but not nested in each other's
      return Promise.all([tx.run(a, txid), tx.run(a, txid)]);
    });
    // nested in the outer run: both join it
    expect(both[0].x).toBe(both[1].x);
    const apart = await Promise.all([tx.run(a, () => tdb.query('SELECT pg_sleep(0.05)').then(txid)), tx.run(b, () => tdb.query('SELECT pg_sleep(0.05)').then(txid))]);
    expect(apart[0].pid).not.toBe(apart[1].pid);
    expect(apart[0].org).toBe(a.orgId);
    expect(apart[1].org).toBe(b.orgId);
  });

  it('an error rolls the whole run back and the connection returns clean', async () => {
    const title = `rolled-back-${Date.now()}`;
    await expect(
      tx.run(a, async () => {
        await tdb.query(`INSERT INTO rocker_threads (org_id, title, created_by) VALUES ($1, $2, $3)`, [a.orgId, title, a.userId]);
        await tdb.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    const found = await db.owner.query(`SELECT count(*)::int AS n FROM rocker_threads WHERE title = $1`, [title]);
    expect(found.rows[0].n).toBe(0);
    // every pooled connection is usable and carries no tenant outside a run
    const rows = await Promise.all([0, 1, 2, 3].map(() => tx.run(b, txid)));
    for (const r of rows) expect(r.org).toBe(b.orgId);
  });

  it('a context tenant_begin() refuses fails the run at its first statement with the refusal, nothing commits, and the connection returns clean', async () => {
    const title = `forged-${Date.now()}`;
    let after = false;
    // a's member claiming b's org: tenant_begin() re-checks membership and refuses. The transaction
    // opens with the run's first statement (one write), so that statement is where the run fails.
    const forged: TenantContext = { ...a, orgId: b.orgId };
    const err = await tx
      .run(forged, async () => {
        await tdb.query(`INSERT INTO rocker_threads (org_id, title, created_by) VALUES ($1, $2, $3)`, [b.orgId, title, a.userId]);
        after = true;
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    // the refusal itself, not the aborted transaction the INSERT ran into behind it
    expect((err as Error).message).not.toMatch(/current transaction is aborted/);
    expect(after).toBe(false);
    const found = await db.owner.query(`SELECT count(*)::int AS n FROM rocker_threads WHERE title = $1`, [title]);
    expect(found.rows[0].n).toBe(0);
    const rows = await Promise.all([0, 1, 2, 3].map(() => tx.run(a, txid)));
    for (const r of rows) expect(r.org).toBe(a.orgId);
  });

  it('statements issued side by side on a fresh run all run inside its one transaction', async () => {
    const rows = await tx.run(a, () =>
      Promise.all([0, 1, 2].map(() => tdb.one<{ xid: string; org: string }>(`SELECT txid_current()::text AS xid, current_setting('app.org_id', true) AS org`))),
    );
    expect(new Set(rows.map((r) => r!.xid)).size).toBe(1);
    for (const r of rows) expect(r!.org).toBe(a.orgId);
  });

  it('a committed run is visible to the next one; TenantDb outside a run throws', async () => {
    const title = `committed-${Date.now()}`;
    await tx.run(a, () => tdb.query(`INSERT INTO rocker_threads (org_id, title, created_by) VALUES ($1, $2, $3)`, [a.orgId, title, a.userId]));
    const n = await tx.run(a, async () => (await tdb.one<{ n: number }>(`SELECT count(*)::int AS n FROM rocker_threads WHERE title = $1`, [title]))!.n);
    expect(n).toBe(1);
    await expect(tdb.query('SELECT 1')).rejects.toThrow(/outside a tenant transaction/);
  });
});
