import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { asOrg } from './support/db.js';
import { startPrometheus, type PrometheusHandle } from './support/prometheus.js';
import { until } from './support/wait.js';

const RULES_DIR = resolve('ops/prometheus/rules');
const P95_BY_ORG =
  'histogram_quantile(0.95, sum by (org, le) (rate(rocker_http_request_duration_seconds_bucket{route!~"/metrics|/health/.*"}[30s])))';

/** A real Prometheus scrapes the running service (with the metrics token) under traffic from two orgs. */
describe('Prometheus scraping the service', () => {
  let db: TestDb;
  let t: TestApp;
  let prom: PrometheusHandle;
  let orgs: { id: string; token: string }[];

  const traffic = async () => {
    for (const o of orgs) {
      const auth = { Authorization: `Bearer ${o.token}` };
      await fetch(`${t.url}/v1/threads`, { headers: auth });
      await fetch(`${t.url}/v1/threads`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ title: 't' }) });
      await fetch(`${t.url}/v1/threads/00000000-0000-4000-8000-000000000000`, { headers: auth }); // 404
    }
  };

  beforeAll(async () => {
    db = await createTestDb();
    // The reconciler waits 10 min, so the parked jobs below stay queued for the whole test.
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { INGEST_RECONCILE_AFTER_MS: '600000' }));
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    orgs = [
      { id: A.org.id, token: A.tokens.member },
      { id: B.org.id, token: B.tokens.member },
    ];
    await traffic();
    // A small backlog per org, marked dispatched so no worker takes it: the dispatcher's sampler
    // reports it as queued depth, org by org.
    for (const [i, o] of orgs.entries()) {
      await asOrg(db.owner, o.id, (c) =>
        c.query(
          `INSERT INTO ingest_jobs (org_id, kind, payload, idempotency_key, dispatched_at)
           SELECT $1, 'crawl', '{}', 'parked-' || g, now() FROM generate_series(1, $2::int) g`,
          [o.id, i + 2],
        ),
      );
    }
    prom = await startPrometheus({
      target: new URL(t.url).host,
      token: TEST_ENV_VARS.METRICS_TOKEN,
      ruleFiles: readdirSync(RULES_DIR).map((f) => join(RULES_DIR, f)),
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await t?.close();
    await db?.drop();
  });

  it('scrapes /metrics with the bearer token (target up)', async () => {
    const up = await until(async () => {
      const r = await prom.query('up{job="rocker-api"}');
      return r.length === 1 && r[0].value[1] === '1' ? r : undefined;
    }, 45_000, 'the target to be up', 250);
    expect(up[0].metric.instance).toBe(new URL(t.url).host);
  });

  it('a per-org p95 query returns a finite series for both orgs', async () => {
    const series = await until(async () => {
      await traffic(); // keep the counters moving so rate() has an increase to work with
      const r = await prom.query(P95_BY_ORG);
      const byOrg = new Map(r.map((s) => [s.metric.org, Number(s.value[1])]));
      return orgs.every((o) => Number.isFinite(byOrg.get(o.id))) ? byOrg : undefined;
    }, 50_000, 'p95 series for both orgs', 250);
    for (const o of orgs) expect(series.get(o.id)).toBeGreaterThan(0);
  }, 60_000);

  it('per-org error and request-rate queries separate the orgs (404s are 4xx, none are 5xx)', async () => {
    const r = await until(async () => {
      await traffic();
      const res = await prom.query('sum by (org, status_class) (rocker_http_request_duration_seconds_count)');
      const have = (org: string, cls: string) => res.some((s) => s.metric.org === org && s.metric.status_class === cls && Number(s.value[1]) > 0);
      return orgs.every((o) => have(o.id, '2xx') && have(o.id, '4xx')) ? res : undefined;
    }, 45_000, 'status classes for both orgs', 250);
    expect(r.filter((s) => s.metric.status_class === '5xx')).toEqual([]);
  });

  it('database pool, database, Redis and tenant-transaction series are scraped', async () => {
    const got = await until(async () => {
      const [pool, dbUp, redisUp, tx] = await Promise.all([
        prom.query('rocker_db_pool_connections{state="total"}'),
        prom.query('rocker_db_up'),
        prom.query('rocker_redis_up'),
        prom.query('sum by (kind) (rocker_tenant_tx_duration_seconds_count)'),
      ]);
      return pool.length && dbUp.length && redisUp.length && tx.length ? { pool, dbUp, redisUp, tx } : undefined;
    }, 45_000, 'runtime series', 250);
    expect(Number(got.pool[0].value[1])).toBeGreaterThan(0);
    expect(got.dbUp[0].value[1]).toBe('1');
    expect(got.redisUp[0].value[1]).toBe('1');
    expect(got.tx.map((s) => s.metric.kind)).toContain('request');
  });

  it('a per-org queue-depth query returns the backlog of both orgs', async () => {
    const depth = await until(async () => {
      const r = await prom.query('sum by (org) (rocker_queue_jobs{state="queued"})');
      const byOrg = new Map(r.map((x) => [x.metric.org, Number(x.value[1])]));
      return orgs.every((o) => byOrg.get(o.id) !== undefined) ? byOrg : undefined;
    }, 50_000, 'queue depth for both orgs', 250);
    expect(orgs.map((o) => depth.get(o.id))).toEqual([2, 3]);
    const meta = await prom.api<Record<string, { type: string }[]>>('/api/v1/metadata?metric=rocker_queue_jobs');
    expect(meta.rocker_queue_jobs[0].type).toBe('gauge');
  }, 60_000);

  it('every alerting and recording rule loads and evaluates without error against live data', async () => {
    const groups = await until(async () => {
      const d = await prom.api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
      const rules = d.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => r.health !== 'unknown') ? d.groups : undefined;
    }, 45_000, 'every rule evaluated once', 250);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(15);
  });
});
