import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { pollUntil, startPrometheus, type PrometheusHandle } from './support/prometheus.js';

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
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    orgs = [
      { id: A.org.id, token: A.tokens.member },
      { id: B.org.id, token: B.tokens.member },
    ];
    await traffic();
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
    const up = await pollUntil(async () => {
      const r = await prom.query('up{job="rocker-api"}');
      return r.length === 1 && r[0].value[1] === '1' ? r : undefined;
    }, 'the target to be up');
    expect(up[0].metric.instance).toBe(new URL(t.url).host);
  });

  it('a per-org p95 query returns a finite series for both orgs', async () => {
    const series = await pollUntil(async () => {
      await traffic(); // keep the counters moving so rate() has an increase to work with
      const r = await prom.query(P95_BY_ORG);
      const byOrg = new Map(r.map((s) => [s.metric.org, Number(s.value[1])]));
      return orgs.every((o) => Number.isFinite(byOrg.get(o.id))) ? byOrg : undefined;
    }, 'p95 series for both orgs', 50_000);
    for (const o of orgs) expect(series.get(o.id)).toBeGreaterThan(0);
  }, 60_000);

  it('per-org error and request-rate queries separate the orgs (404s are 4xx, none are 5xx)', async () => {
    const r = await pollUntil(async () => {
      await traffic();
      const res = await prom.query('sum by (org, status_class) (rocker_http_request_duration_seconds_count)');
      const have = (org: string, cls: string) => res.some((s) => s.metric.org === org && s.metric.status_class === cls && Number(s.value[1]) > 0);
      return orgs.every((o) => have(o.id, '2xx') && have(o.id, '4xx')) ? res : undefined;
    }, 'status classes for both orgs');
    expect(r.filter((s) => s.metric.status_class === '5xx')).toEqual([]);
  });

  it('database pool, database, Redis and tenant-transaction series are scraped', async () => {
    const got = await pollUntil(async () => {
      const [pool, dbUp, redisUp, tx] = await Promise.all([
        prom.query('rocker_db_pool_connections{state="total"}'),
        prom.query('rocker_db_up'),
        prom.query('rocker_redis_up'),
        prom.query('sum by (kind) (rocker_tenant_tx_duration_seconds_count)'),
      ]);
      return pool.length && dbUp.length && redisUp.length && tx.length ? { pool, dbUp, redisUp, tx } : undefined;
    }, 'runtime series');
    expect(Number(got.pool[0].value[1])).toBeGreaterThan(0);
    expect(got.dbUp[0].value[1]).toBe('1');
    expect(got.redisUp[0].value[1]).toBe('1');
    expect(got.tx.map((s) => s.metric.kind)).toContain('request');
  });

  it('the queue-depth series is exported (its samples come from the ingest workers)', async () => {
    // rocker_queue_jobs is declared for every process but only the ingest pipeline sets samples;
    // here Prometheus must at least know the metric and the dashboard query must evaluate cleanly.
    const meta = await pollUntil(async () => {
      const m = await prom.api<Record<string, { type: string }[]>>('/api/v1/metadata?metric=rocker_queue_jobs');
      return m.rocker_queue_jobs?.length ? m.rocker_queue_jobs : undefined;
    }, 'queue metric metadata');
    expect(meta[0].type).toBe('gauge');
    await expect(prom.query('sum by (org, state) (rocker_queue_jobs)')).resolves.toBeInstanceOf(Array);
  });

  it('every alerting and recording rule loads and evaluates without error against live data', async () => {
    const groups = await pollUntil(async () => {
      const d = await prom.api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
      const rules = d.groups.flatMap((g) => g.rules);
      return rules.length > 0 && rules.every((r) => r.health !== 'unknown') ? d.groups : undefined;
    }, 'every rule evaluated once');
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(15);
  });
});
