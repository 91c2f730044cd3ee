import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pg from 'pg';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { pooledUrl } from './support/urls.js';
import { until } from './support/wait.js';
import { createApp } from '../src/bootstrap.js';
import { TenantDb, TenantTransactions, type TenantContext } from '../src/tenancy/tenant-context.js';
import { asOrg } from './support/db.js';

/**
 * PgBouncer (transaction pooling, started by setup on :6432) in front of the app role's pool. The
 * isolation, RLS, auth-cache and ingest-worker suites also run through it (vitest project
 * `pgbouncer`, with DATABASE_PREPARED_STATEMENTS=true); this file covers what only the pooler
 * changes: LISTEN, and named prepared statements moving between server connections.
 */
describe('behind PgBouncer (pool_mode = transaction)', () => {
  let db: TestDb;
  let pooled: string;

  beforeAll(async () => {
    db = await createTestDb();
    pooled = pooledUrl(db.appDirectUrl);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('LISTEN through the pooler loses the notification (why the self-test exists)', async () => {
    const listener = new pg.Client({ connectionString: pooled });
    const notifier = new pg.Client({ connectionString: pooled });
    await listener.connect();
    await notifier.connect();
    try {
      const got: string[] = [];
      listener.on('notification', (n) => got.push(n.payload ?? ''));
      await listener.query('LISTEN rocker_pgb_probe');
      await notifier.query(`SELECT pg_notify('rocker_pgb_probe', 'x')`);
      // The same pair, direct, delivers at once (the control): so 500 ms is ample here.
      const direct = new pg.Client({ connectionString: db.appDirectUrl });
      await direct.connect();
      const seen = new Promise<string>((resolve) => direct.on('notification', (n) => resolve(n.payload ?? '')));
      await direct.query('LISTEN rocker_pgb_probe');
      await notifier.query(`SELECT pg_notify('rocker_pgb_probe', 'y')`);
      await expect(seen).resolves.toBe('y');
      await direct.end();
      await listener.query('SELECT 1'); // gives the listener a chance to read anything pending
      expect(got).toEqual([]);
    } finally {
      await listener.end();
      await notifier.end();
    }
  });

  it('without DATABASE_DIRECT_URL, boot stops at the LISTEN self-test and names the variable', async () => {
    const env = envFor(pooled, db.ownerUrl, { DATABASE_DIRECT_URL: undefined });
    expect(env.DATABASE_URL).toContain(':6432/');
    expect(env.DATABASE_DIRECT_URL).toBeUndefined();
    // createApp runs the module init and closes what it opened when a boot check throws.
    await expect(createApp(env)).rejects.toThrow(/LISTEN\/NOTIFY self-test failed.*set DATABASE_DIRECT_URL/);
  });

  it('the process exits 78 with that one message instead of serving', async () => {
    const env = envFor(pooled, db.ownerUrl, { DATABASE_DIRECT_URL: undefined, ROCKER_ROLE: 'api', PORT: '0' });
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      env: { PATH: process.env.PATH ?? '', ...Object.fromEntries(Object.entries(env).filter(([, v]) => v != null).map(([k, v]) => [k, String(v)])) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(78);
    expect(stderr).toMatch(/LISTEN\/NOTIFY self-test failed: .*DATABASE_URL looks like a transaction pooler.*DATABASE_DIRECT_URL/);
  });

  it('with DATABASE_DIRECT_URL the service boots through PgBouncer and serves tenant requests', async () => {
    const env = envFor(pooled, db.ownerUrl);
    expect(env.DATABASE_DIRECT_URL).toBe(db.appDirectUrl);
    const t = await startApp(env);
    try {
      const A = await orgWithRoles(db.owner);
      const B = await orgWithRoles(db.owner);
      const post = (tok: string, title: string) =>
        request(t.url).post('/v1/threads').set('Authorization', `Bearer ${tok}`).send({ title }).expect(201);
      await Promise.all([...Array(10)].map((_, i) => post(i % 2 ? A.tokens.owner : B.tokens.owner, `t${i}`)));
      const list = async (tok: string) =>
        (await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${tok}`).expect(200)).body.data.map(
          (r: { title: string }) => r.title,
        );
      expect((await list(A.tokens.owner)).sort()).toEqual(['t1', 't3', 't5', 't7', 't9']);
      expect((await list(B.tokens.owner)).sort()).toEqual(['t0', 't2', 't4', 't6', 't8']);
      // LISTEN went direct: the auth listener's session is on Postgres itself, under its own name.
      const admin = new pg.Client({ connectionString: db.appDirectUrl });
      await admin.connect();
      try {
        await until(async () => {
          const r = await admin.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rocker-auth-listener' AND query ILIKE 'LISTEN%'`,
          );
          return r.rowCount === 1;
        }, 5000, 'the auth listener on its direct connection');
      } finally {
        await admin.end();
      }
    } finally {
      await t.close();
    }
  });

  it('named prepared statements survive the pooler (1.21+, max_prepared_statements): a transaction on another server connection runs them, each org only its rows', async () => {
    // one connection for tenant transactions: every run below is the same client of PgBouncer
    const env = envFor(pooled, db.ownerUrl, { DATABASE_POOL_SIZE: '3' });
    expect(env.DATABASE_PREPARED_STATEMENTS).toBe('true');
    const t = await startApp(env);
    const holders: { client: pg.Client; pid: number }[] = [];
    try {
      const tx = t.app.get(TenantTransactions);
      const tdb = t.app.get(TenantDb);
      const ctxOf = async (title: string): Promise<TenantContext> => {
        const o = await orgWithRoles(db.owner);
        await asOrg(db.owner, o.org.id, (c) => c.query(`INSERT INTO rocker_threads (org_id, title) VALUES ($1, $2)`, [o.org.id, title]));
        return { requestId: `pgb-${title}`, userId: o.users.member.id, orgId: o.org.id, role: 'member', isSuperAdmin: false };
      };
      const [a, b] = [await ctxOf('of a'), await ctxOf('of b')];
      // no org filter of its own: only the row-level policy separates the orgs
      const sql = `SELECT title, pg_backend_pid() AS pid FROM rocker_threads /* through pgbouncer */`;
      const runAs = (ctx: TenantContext) =>
        tx.run(ctx, async () => {
          const rows = await tdb.query<{ title: string; pid: number }>(sql);
          const held = await tdb.one<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [sql]);
          return { titles: rows.map((r) => r.title), pid: rows[0].pid, prepared: held!.n };
        });
      const first = await runAs(a);
      expect(first).toMatchObject({ titles: ['of a'], prepared: 1 });
      // Hold the server connection it was prepared on (and any other idle one before it) in open
      // transactions, so the next transactions get server connections that never saw it.
      for (let i = 0; i < 25 && !holders.some((h) => h.pid === first.pid); i++) {
        const client = new pg.Client({ connectionString: pooled });
        await client.connect();
        holders.push({ client, pid: 0 });
        await client.query('BEGIN');
        holders[holders.length - 1].pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      }
      expect(holders.map((h) => h.pid)).toContain(first.pid);
      for (const ctx of [b, a, b]) {
        const r = await runAs(ctx);
        expect(r.pid).not.toBe(first.pid);
        expect(r.titles).toEqual([ctx === a ? 'of a' : 'of b']);
        expect(r.prepared).toBe(1); // prepared there by PgBouncer, under its own name
      }
    } finally {
      for (const h of holders) await h.client.end();
      await t.close();
    }
  });
});
