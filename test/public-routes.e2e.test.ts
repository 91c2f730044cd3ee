import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { until } from './support/wait.js';
import { orgWithRoles } from './support/fixtures.js';

/** `n` GETs of `path`, `concurrency` at a time; answers the statuses. */
async function flood(url: string, n: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const res = await fetch(url);
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

/**
 * Routes anyone may call cost the same however many call them: what no one is billed for must not
 * take the tenants' database connections.
 */
describe('public routes', () => {
  let db: TestDb;
  let t: TestApp;
  let ds: DataSource;
  const calls = { select1: 0, migrations: 0 };
  let failDatabase = false;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    ds = t.app.get(DataSource);
    const query = ds.query.bind(ds);
    ds.query = ((sql: string, ...rest: unknown[]) => {
      if (sql === 'SELECT 1') {
        calls.select1++;
        if (failDatabase) return Promise.reject(new Error('connection refused'));
      }
      return (query as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as DataSource['query'];
    const showMigrations = ds.showMigrations.bind(ds);
    ds.showMigrations = () => {
      calls.migrations++;
      return showMigrations();
    };
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('a flood of readiness probes runs at most one check a second; the answer still follows the database', async () => {
    const started = Date.now();
    const statuses = await flood(`${t.url}/health/ready`, 300, 16);
    const seconds = (Date.now() - started) / 1000;
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(calls.select1).toBeGreaterThanOrEqual(1);
    expect(calls.select1).toBeLessThanOrEqual(Math.ceil(seconds) + 1); // 300 without the shared check
    expect(calls.migrations).toBe(1); // applied once, applied for good

    failDatabase = true;
    try {
      const down = await until(
        async () => {
          const res = await fetch(`${t.url}/health/ready`);
          return res.status === 503
            ? ((await res.json()) as { detail: string; checks: Record<string, { status: string }> })
            : undefined;
        },
        5000,
        'readiness to see the database down',
        100,
      );
      expect(down.detail).toBe('not ready: database: unreachable'); // what is down, by name
      expect(down.checks).toMatchObject({
        database: { status: 'down' },
        redis: { status: 'up' },
        migrations: { status: 'up' },
      });
    } finally {
      failDatabase = false;
    }
    await until(async () => (await fetch(`${t.url}/health/ready`)).status === 200, 5000, 'ready again', 100);
  });
});

/** The queue board's sign-in and routes are not Nest routes: their bad tokens count per address too. */
describe('admin sign-in and queue board: bad tokens per address', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_AUTH_FAILURES: '3', RATE_LIMIT_AUTH_WINDOW_S: '3600' }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const login = () =>
    fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'not-a-token' }),
    });

  it('past the allowance, POST /admin/login and the board answer 429 with Retry-After instead of 401', async () => {
    for (let i = 0; i < 3; i++) expect((await login()).status).toBe(401);
    const refused = await login();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const board = await fetch(`${t.url}/admin/queues/api/queues`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(board.status).toBe(429);
    expect(Number(board.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

/** What no one is billed for is limited per client address; tenants' routes from that address are not. */
describe('public routes: per-address limit (RATE_LIMIT_PUBLIC)', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { RATE_LIMIT_PUBLIC: '5' }));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('past the allowance, docs, health and unknown paths answer 429 with Retry-After; a tenant route still answers', async () => {
    const paths = ['/docs/openapi.json', '/health/live', '/docs', '/no/such/path', '/health/ready'];
    const statuses = [];
    for (const p of paths) statuses.push((await fetch(`${t.url}${p}`)).status);
    expect(statuses).toEqual([200, 200, 200, 404, 200]);
    for (const p of paths) {
      const res = await fetch(`${t.url}${p}`);
      expect(res.status, p).toBe(429);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { policy?: string }).policy).toBe('public');
    }
    const tenant = await orgWithRoles(db.owner);
    const org = await fetch(`${t.url}/v1/org`, {
      headers: { authorization: `Bearer ${tenant.tokens.member}` },
    });
    expect(org.status).toBe(200);
  });
});
