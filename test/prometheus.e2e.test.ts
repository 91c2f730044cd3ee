import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { orgWithRoles } from './support/fixtures.js';
import { startPrometheus, type PrometheusHandle } from './support/prometheus.js';
import { envVarsOf, startServiceProcess, type ServiceProcess } from './support/service-process.js';
import { until } from './support/wait.js';

const RULES_DIR = resolve('ops/prometheus/rules');
const DASHBOARDS_DIR = resolve('ops/grafana/dashboards');
const ruleFiles = readdirSync(RULES_DIR).map((f) => join(RULES_DIR, f));
const rules = ruleFiles.flatMap((f) =>
  (load(readFileSync(f, 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules),
);
interface Panel { title: string; targets?: { expr: string }[]; panels?: Panel[] }
const panelsOf = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
const panelExprs = readdirSync(DASHBOARDS_DIR).flatMap((f) =>
  panelsOf((JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), 'utf8')) as { panels: Panel[] }).panels).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ name: p.title, expr: t.expr })),
  ),
);
/** Grafana's variables as the dashboard's "All" selection and a window that fits 1 s scrapes. */
const grafana = (expr: string): string => expr.replaceAll('$org', '.*').replaceAll('$__rate_interval', '30s');
const QUEUE_PANEL = 'Queue depth by org and state';
const OLDEST_PANEL = 'Oldest queued job age by queue';

/**
 * A real Prometheus scrapes a fleet: two API processes (ROCKER_ROLE=api) and two worker processes,
 * all of dist/, on one database and one Redis prefix, under traffic from two orgs. Every dashboard
 * panel and every rule is evaluated against it and must read what one process would say is true:
 * queue depth equals the database's count (not once per worker), request counts equal the requests
 * sent (over both APIs), and no panel splits by instance unless it says so.
 */
describe('Prometheus scraping a fleet of two API and two worker processes', () => {
  let db: TestDb;
  let prom: PrometheusHandle;
  const apis: ServiceProcess[] = [];
  const workers: ServiceProcess[] = [];
  let orgs: { id: string; token: string }[];
  const sent = new Map<string, number>(); // org → GET /v1/threads answered 2xx, over both APIs

  const traffic = async () => {
    for (const o of orgs)
      for (const api of apis) {
        const auth = { Authorization: `Bearer ${o.token}` };
        const r = await fetch(`${api.url}/v1/threads`, { headers: auth });
        await r.arrayBuffer();
        if (r.ok) sent.set(o.id, (sent.get(o.id) ?? 0) + 1);
        await (await fetch(`${api.url}/v1/threads/00000000-0000-4000-8000-000000000000`, { headers: auth })).arrayBuffer(); // 404
      }
  };

  const fleetUp = () => until(async () => (await prom.query('up == 1')).length === 4, 60_000, 'four targets up', 250);

  /** The database's truth: jobs by org and state. */
  const dbDepth = async () => {
    const out = new Map<string, number>();
    for (const o of orgs) {
      const r = await asOrg(db.owner, o.id, (c) => c.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ingest_jobs GROUP BY 1`));
      for (const row of r.rows) out.set(`${o.id}/${row.status}`, row.n);
    }
    return out;
  };

  beforeAll(async () => {
    db = await createTestDb();
    // The reconciler waits 10 min, so the parked jobs below stay queued for the whole test.
    const vars = envVarsOf(envFor(db.appUrl, db.ownerUrl, { INGEST_RECONCILE_AFTER_MS: '600000' }));
    // One at a time: on two cores, parallel Nest boots only take longer each.
    for (let i = 0; i < 2; i++) apis.push(await startServiceProcess('api', vars));
    for (let i = 0; i < 2; i++) workers.push(await startServiceProcess('worker', vars));
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    orgs = [
      { id: A.org.id, token: A.tokens.member },
      { id: B.org.id, token: B.tokens.member },
    ];
    // A backlog per org, marked dispatched so no worker takes it. 2 + 58 = 60 jobs: below the
    // 100-job floor of RockerOrgDominatesQueue, above it if the two workers' gauges were summed.
    for (const [o, n] of [
      [orgs[0], 2],
      [orgs[1], 58],
    ] as const) {
      await asOrg(db.owner, o.id, (c) =>
        c.query(
          `INSERT INTO ingest_jobs (org_id, kind, payload, idempotency_key, dispatched_at)
           SELECT $1, 'crawl', '{}', 'parked-' || g, now() FROM generate_series(1, $2::int) g`,
          [o.id, n],
        ),
      );
    }
    await traffic();
    prom = await startPrometheus({
      jobs: { 'rocker-api': apis.map((a) => a.host), 'rocker-worker': workers.map((w) => w.host) },
      token: TEST_ENV_VARS.METRICS_TOKEN,
      ruleFiles,
      // A scrape runs the database and Redis probes (bounded to 2 s): on a loaded machine 1 s is too short.
      scrapeIntervalS: 3,
    });
  }, 600_000);

  afterAll(async () => {
    await prom?.stop();
    await Promise.all([...apis, ...workers].map((p) => p.stop()));
    await db?.drop();
  });

  it('scrapes all four processes with the bearer token (targets up)', async () => {
    const up = await until(async () => {
      const r = await prom.query('up == 1');
      return r.length === 4 ? r : undefined;
    }, 60_000, 'four targets up', 250);
    expect(up.map((s) => `${s.metric.job} ${s.metric.instance}`).sort()).toEqual(
      [...apis.map((a) => `rocker-api ${a.host}`), ...workers.map((w) => `rocker-worker ${w.host}`)].sort(),
    );
  }, 70_000);

  it('queue depth is exported by one worker only, and every reading of it equals the database', async () => {
    await fleetUp();
    const truth = await dbDepth();
    expect([...truth.values()].reduce((a, b) => a + b, 0)).toBe(60);
    const exporters = await until(async () => {
      const r = await prom.query('count by (instance) (rocker_queue_jobs)');
      return r.length > 0 ? r : undefined;
    }, 60_000, 'queue depth exported', 250);
    expect(exporters).toHaveLength(1);
    expect(workers.map((w) => w.host)).toContain(exporters[0].metric.instance);
    // The raw sum over the fleet is the database's count (a per-worker export would make it 120).
    const raw = await prom.query('sum(rocker_queue_jobs)');
    expect(Number(raw[0].value[1])).toBe(60);
    // The dashboard panel, series by series.
    const panel = panelExprs.find((p) => p.name === QUEUE_PANEL)!;
    const series = await prom.query(grafana(panel.expr));
    expect(new Map(series.map((s) => [`${s.metric.org}/${s.metric.state}`, Number(s.value[1])]))).toEqual(truth);
    // The recording rule the queue alerts read.
    const recorded = await until(async () => {
      const r = await prom.query('sum by (org, state) (queue_org_state:rocker_queue_jobs:max)');
      return r.length ? r : undefined;
    }, 30_000, 'the queue recording rule', 250);
    expect(new Map(recorded.map((s) => [`${s.metric.org}/${s.metric.state}`, Number(s.value[1])]))).toEqual(truth);
    // 60 jobs are under the 100-job floor: the alert's expression selects nothing.
    const dominates = rules.find((r) => r.alert === 'RockerOrgDominatesQueue')!;
    expect(await prom.query(dominates.expr)).toEqual([]);
    // The oldest queued job: the database's age, within the 5 s sampling period and scrape delay.
    const oldest = await until(async () => (await prom.query(grafana(panelExprs.find((p) => p.name === OLDEST_PANEL)!.expr))).find((s) => s.metric.queue === 'crawl'), 30_000, 'the oldest crawl job', 250);
    const dbOldest = await asOrg(db.owner, orgs[1].id, (c) =>
      c.query<{ age: number }>(`SELECT extract(epoch FROM now() - min(queued_at))::float AS age FROM ingest_jobs WHERE status = 'queued'`),
    );
    expect(Math.abs(Number(oldest.value[1]) - dbOldest.rows[0].age)).toBeLessThan(15);
  }, 90_000);

  it('request counters over both APIs add up to the requests sent', async () => {
    await traffic();
    const want = new Map(sent);
    // Counters are exact once a scrape after the last request has been taken.
    const got = await until(async () => {
      const res = await prom.query('sum by (org) (rocker_http_request_duration_seconds_count{route="/v1/threads", method="GET", status_class="2xx"})');
      const m = new Map(res.map((s) => [s.metric.org, Number(s.value[1])]));
      return orgs.every((o) => m.get(o.id) === want.get(o.id)) ? m : undefined;
    }, 45_000, 'request counts equal to the requests sent', 250);
    for (const o of orgs) expect(got.get(o.id)).toBe(want.get(o.id));
    // each API saw half of them: the sum is over processes, not one process counted twice
    const byInstance = await prom.query(`sum by (instance) (rocker_http_request_duration_seconds_count{route="/v1/threads", method="GET", status_class="2xx", org="${orgs[0].id}"})`);
    expect(byInstance).toHaveLength(2);
  }, 60_000);

  it('every dashboard panel evaluates over the fleet, one series per group (no instance split unless asked for)', async () => {
    await traffic();
    await fleetUp();
    const problems: string[] = [];
    for (const { name, expr } of panelExprs) {
      try {
        const r = await prom.query(grafana(expr));
        const perInstance = /by \([^)]*\binstance\b/.test(expr);
        if (!perInstance && r.some((s) => 'instance' in s.metric)) problems.push(`${name}: series split by instance`);
        if (perInstance && r.length > 0 && !r.every((s) => 'instance' in s.metric)) problems.push(`${name}: lost its instance label`);
      } catch (e) {
        problems.push(`${name}: ${(e as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    // Panels that say "by instance" show one series per process: four for the database gauge.
    const dbPanel = panelExprs.find((p) => p.name === 'Database')!;
    expect(await prom.query(grafana(dbPanel.expr))).toHaveLength(4);
  }, 60_000);

  it('every alerting and recording rule loads and evaluates without error against the fleet', async () => {
    const groups = await until(async () => {
      const d = await prom.api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
      const all = d.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? d.groups : undefined;
    }, 45_000, 'every rule evaluated once', 250);
    const all = groups.flatMap((g) => g.rules);
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(all.length).toBe(rules.length);
  }, 60_000);

  it('when the worker exporting queue depth stops, the other takes over and the depth stays the database count', async () => {
    await fleetUp();
    const [exporter] = await until(async () => {
      const r = await prom.query('count by (instance) (rocker_queue_jobs)');
      return r.length === 1 ? r : undefined;
    }, 30_000, 'one exporter', 250);
    const leader = workers.find((w) => w.host === exporter.metric.instance)!;
    const other = workers.find((w) => w !== leader)!;
    await leader.stop();
    const taken = await until(async () => {
      const r = await prom.query('sum by (instance) (rocker_queue_jobs)');
      return r.length === 1 && r[0].metric.instance === other.host ? r : undefined;
    }, 45_000, 'the other worker to export queue depth', 250);
    expect(Number(taken[0].value[1])).toBe(60);
    const panel = await prom.query(grafana(panelExprs.find((p) => p.name === QUEUE_PANEL)!.expr));
    expect(new Map(panel.map((s) => [`${s.metric.org}/${s.metric.state}`, Number(s.value[1])]))).toEqual(await dbDepth());
  }, 60_000);
});
