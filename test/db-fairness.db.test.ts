import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.js';
import { orgWithRoles } from './support/fixtures.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { TenantDb, TenantTransactions, type TenantContext } from '../src/tenancy/tenant-context.js';

/** The connection pool is shared fairly: one org's burst of slow transactions cannot take every connection. */
describe('database connections shared fairly across orgs', () => {
  let db: TestDb;
  let t: TestApp;
  let tx: TenantTransactions;
  let tdb: TenantDb;
  let a: TenantContext;
  let b: TenantContext;

  beforeAll(async () => {
    db = await createTestDb();
    // 3 connections: 1 slot for tenant transactions (two stay free for sign-in and health)
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, {
        DATABASE_POOL_SIZE: '3',
        DATABASE_MAX_QUEUED_PER_ORG: '6',
        DATABASE_POOL_TIMEOUT_MS: '20000',
      }),
    );
    tx = t.app.get(TenantTransactions);
    tdb = t.app.get(TenantDb);
    const [oa, ob] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    const ctx = (o: typeof oa): TenantContext => ({
      requestId: 'fair',
      userId: o.users.member.id,
      orgId: o.org.id,
      role: 'member',
      isSuperAdmin: false,
    });
    [a, b] = [ctx(oa), ctx(ob)];
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('a second org’s transaction runs after at most one of the first org’s queued slow ones', async () => {
    const order: string[] = [];
    const slow = (i: number) =>
      tx.run(a, async () => void (await tdb.query('SELECT pg_sleep(0.2)'), order.push(`a${i}`)));
    const aRuns = [0, 1, 2, 3, 4].map(slow);
    const bRun = tx.run(b, async () => void (await tdb.query('SELECT 1'), order.push('b')));
    await Promise.all([...aRuns, bRun]);
    expect(order.indexOf('b')).toBeLessThanOrEqual(1); // FIFO would put it last (index 5)
  });

  it('a wait for a connection past the pool timeout: 429 overloaded for the org holding the connections, 503 for the org holding none', async () => {
    const short = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '3', DATABASE_POOL_TIMEOUT_MS: '200' }));
    try {
      const stx = short.app.get(TenantTransactions);
      const sdb = short.app.get(TenantDb);
      // a holds the one slot for 1.5 s
      const holding = stx.run(a, () => sdb.query('SELECT pg_sleep(1.5)'));
      const [own, other] = await Promise.all([
        stx.run(a, () => sdb.query('SELECT 1')).catch((e: unknown) => e),
        stx.run(b, () => sdb.query('SELECT 1')).catch((e: unknown) => e),
      ]);
      expect(own).toMatchObject({ status: 429, slug: 'overloaded' });
      expect(other).toMatchObject({ status: 503, slug: 'engine-timeout' });
      await holding;
    } finally {
      await short.close();
    }
  });

  it('past its queue bound an org is refused at once with 429 overloaded; another org still gets in', async () => {
    const held = [0, 1, 2, 3, 4, 5, 6].map(() => tx.run(a, () => tdb.query('SELECT pg_sleep(0.1)')));
    const refused = tx.run(a, () => tdb.query('SELECT 1'));
    await expect(refused).rejects.toMatchObject({ slug: 'overloaded' });
    await expect(tx.run(b, () => tdb.one<{ ok: number }>('SELECT 1 AS ok'))).resolves.toEqual({ ok: 1 });
    await Promise.all(held);
  });
});
