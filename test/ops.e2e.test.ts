import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { DataSource } from 'typeorm';
import type pg from 'pg';
import { JobKind } from '../src/modules/ingest/ingest.types.js';

const METRICS = `Bearer ${TEST_ENV_VARS.METRICS_TOKEN}`;

describe('operability over HTTP: /metrics and the queue board', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Awaited<ReturnType<typeof orgWithRoles>>;
  let rootToken: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    A = await orgWithRoles(db.owner);
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer not-the-metrics-token-at-all'],
    ['a user JWT', 'user'],
    ['the token without Bearer', TEST_ENV_VARS.METRICS_TOKEN],
  ])('/metrics with %s → 401 problem+json, no metrics', async (_what, header) => {
    const req = request(t.url).get('/metrics');
    const res = await (header ? req.set('Authorization', header === 'user' ? `Bearer ${A.tokens.owner}` : header) : req);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.text).not.toContain('rocker_');
  });

  it('/metrics with its token → Prometheus text with the HTTP, DB pool, tenant-tx and Redis series', async () => {
    await request(t.url).get('/v1/threads').set('Authorization', `Bearer ${A.tokens.member}`).expect(200);
    await request(t.url).get('/v1/threads').expect(401); // refused by the guard: still counted
    await request(t.url).get('/no/such/route').set('Authorization', `Bearer ${A.tokens.member}`).expect(404);
    const res = await request(t.url).get('/metrics').set('Authorization', METRICS).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    const org = A.org.id;
    expect(text).toMatch(new RegExp(`rocker_http_request_duration_seconds_count\\{route="/v1/threads",method="GET",status_class="2xx",org="${org}"\\} [1-9]`));
    expect(text).toMatch(/rocker_http_request_duration_seconds_count\{route="\/v1\/threads",method="GET",status_class="4xx",org="none"\} [1-9]/);
    expect(text).toMatch(/rocker_http_request_duration_seconds_count\{route="unmatched",method="GET",status_class="4xx",org="none"\} [1-9]/);
    expect(text).not.toContain('/no/such/route'); // templates, never raw URLs
    expect(text).toMatch(/rocker_tenant_tx_duration_seconds_count\{kind="request"\} [1-9]/);
    expect(text).toMatch(/rocker_db_pool_connections\{state="total"\} [1-9]/);
    expect(text).toMatch(/rocker_db_pool_connections\{state="waiting"\} 0/);
    expect(text).toMatch(/rocker_redis_up 1/);
    expect(text).toMatch(/rocker_db_up 1/);
    expect(text).toMatch(/rocker_nodejs_eventloop_lag_seconds/);
  });

  it('pool gauges show connections in use and callers waiting when the pool is exhausted', async () => {
    const pool = (t.app.get(DataSource).driver as unknown as { master: pg.Pool }).master;
    const size = t.app.get(DataSource).options.extra.max as number;
    const held = await Promise.all(Array.from({ length: size }, () => pool.connect()));
    const waiting = pool.connect(); // queued behind the held ones
    try {
      const text = (await request(t.url).get('/metrics').set('Authorization', METRICS).expect(200)).text;
      expect(text).toMatch(new RegExp(`^rocker_db_pool_connections\\{state="in_use"\\} ${size}$`, 'm'));
      expect(text).toMatch(/^rocker_db_pool_connections\{state="waiting"\} 1$/m);
      expect(text).toMatch(/^rocker_db_up 1$/m); // checked outside the pool: a full pool is not an outage
    } finally {
      held.forEach((c) => c.release());
      (await waiting).release();
    }
    const after = (await request(t.url).get('/metrics').set('Authorization', METRICS).expect(200)).text;
    expect(after).toMatch(/^rocker_db_pool_connections\{state="waiting"\} 0$/m);
  });

  describe('queue board at /admin/queues', () => {
    const paths = ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png'];

    it.each(paths)('%s without a token → 401', async (path) => {
      const res = await request(t.url).get(path);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it.each(paths)('%s as an org owner (not super_admin) → 403', async (path) => {
      const res = await request(t.url).get(path).set('Authorization', `Bearer ${A.tokens.owner}`);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.text).not.toMatch(/<html|readOnlyMode|\x89PNG/i);
    });

    it('/admin/queues with a forged token → 401', async () => {
      await request(t.url).get('/admin/queues').set('Authorization', 'Bearer abc.def.ghi').expect(401);
    });

    it('a super_admin sees the UI and one read-only queue per job kind', async () => {
      const ui = await request(t.url).get('/admin/queues').set('Authorization', `Bearer ${rootToken}`).expect(200);
      expect(ui.headers['content-type']).toMatch(/text\/html/);
      const api = await request(t.url).get('/admin/queues/api/queues').set('Authorization', `Bearer ${rootToken}`).expect(200);
      const names = (api.body.queues as { name: string; readOnlyMode: boolean }[]).map((q) => q.name).sort();
      expect(names).toEqual(Object.values(JobKind).sort());
      expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
      const asset = await request(t.url).get('/admin/queues/static/favicon-32x32.png').set('Authorization', `Bearer ${rootToken}`).expect(200);
      expect(asset.headers['content-type']).toMatch(/image\/png/);
    });

    it('board responses are counted in the HTTP histogram under their route template', async () => {
      const res = await request(t.url).get('/metrics').set('Authorization', METRICS).expect(200);
      expect(res.text).toMatch(/rocker_http_request_duration_seconds_count\{route="\/admin\/queues\/api\/queues",method="GET",status_class="4xx",org="none"\} [1-9]/);
    });
  });
});
