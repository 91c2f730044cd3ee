import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { load, loadAll } from 'js-yaml';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { PROMTOOL_BIN } from './support/prometheus.js';
import { MANIFEST_PATH, prometheusRuleManifest } from '../scripts/gen-prometheusrule.js';

const ROOT = resolve('.');
const RULES_DIR = join(ROOT, 'ops/prometheus/rules');
const DASHBOARDS_DIR = join(ROOT, 'ops/grafana/dashboards');
const RUNBOOKS_DIR = join(ROOT, 'docs/runbooks');

interface Rule { alert?: string; record?: string; expr: string; annotations?: Record<string, string>; labels?: Record<string, string> }
interface Panel { type: string; title: string; targets?: { expr: string }[]; panels?: Panel[] }

const ruleFiles = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(RULES_DIR, f));
const rules: Rule[] = ruleFiles.flatMap((f) => (load(readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
const alerts = rules.filter((r) => r.alert);
const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record!));
const dashboards = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json'));

/** Metric names a PromQL expression reads (ours are all rocker_*; recording rules have colons). */
function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:rocker_[a-z0-9_]+|[a-z_]+:[a-z0-9_:]+)\b/g) ?? [])];
}

/** Every series name /metrics can expose: TYPE lines name metrics even before their first sample. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/**
 * Gauges that hold a database-wide value (every exporting process reports the whole fleet's
 * number): a query must take them once, through max/min over the instances, never sum them.
 */
const FLEET_WIDE = ['rocker_queue_jobs', 'rocker_queue_oldest_queued_seconds'];

/** Reads of a fleet-wide gauge that are not wrapped directly in `max|min by|without (...) (`. */
function summedFleetGauges(expr: string): string[] {
  const bad: string[] = [];
  for (const name of FLEET_WIDE)
    for (const m of expr.matchAll(new RegExp(`(?<![\\w:])${name}(?![\\w:])`, 'g'))) {
      const before = expr.slice(0, m.index).trimEnd();
      if (!/\b(max|min) (by|without) \([^)]*\) \($/.test(before)) bad.push(`${name} in ${expr.trim()}`);
    }
  return bad;
}

function panelsOf(list: Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

const promtool = (...args: string[]) => spawnSync(PROMTOOL_BIN, args, { encoding: 'utf8' });

describe('operations files against the live service', () => {
  let db: TestDb;
  let t: TestApp;
  let exported: Set<string>;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    const res = await fetch(`${t.url}/metrics`, { headers: { Authorization: `Bearer ${TEST_ENV_VARS.METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    exported = exportedNames(await res.text());
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('/metrics names every metric declared in src/common/metrics/metrics.ts', () => {
    const declared = [...readFileSync(join(ROOT, 'src/common/metrics/metrics.ts'), 'utf8').matchAll(/name: '(rocker_[a-z0-9_]+)'/g)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(10);
    expect(declared.filter((n) => !exported.has(n))).toEqual([]);
  });

  describe.each(dashboards)('dashboard %s', (file) => {
    const dash = JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as {
      uid: string;
      panels: Panel[];
      templating: { list: { name: string; query?: unknown }[] };
    };
    const panels = panelsOf(dash.panels).filter((p) => p.type !== 'row');
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((tg) => ({ panel: p.title, expr: tg.expr })));

    it('parses, has a uid, an org variable and queries', () => {
      expect(dash.uid).toMatch(/^[a-z0-9-]+$/);
      expect(dash.templating.list.map((v) => v.name)).toContain('org');
      expect(exprs.length).toBeGreaterThan(10);
    });

    it('every panel query names only metrics the service exports', () => {
      const unknown = exprs.flatMap(({ panel, expr }) => metricNames(expr).filter((n) => !exported.has(n)).map((n) => `${panel}: ${n}`));
      expect(unknown).toEqual([]);
      for (const { expr } of exprs) expect(metricNames(expr).length, expr).toBeGreaterThan(0);
    });

    it('has per-org panels for p95 latency, error rate, 429s, queue depth and wait, TTS first audio', () => {
      const perOrg = exprs.filter(({ expr }) => expr.includes('org=~"$org"') && /by \([^)]*\borg\b/.test(expr)).map(({ expr }) => expr);
      const has = (re: RegExp) => perOrg.some((e) => re.test(e));
      expect(has(/histogram_quantile\(0\.95.*rocker_http_request_duration_seconds_bucket/)).toBe(true);
      expect(has(/rocker_http_request_duration_seconds_count\{[^}]*status_class="5xx"/)).toBe(true);
      expect(has(/rocker_ratelimit_decisions_total\{[^}]*decision="limited"/)).toBe(true);
      expect(has(/rocker_queue_jobs/)).toBe(true);
      expect(has(/rocker_job_wait_seconds_bucket/)).toBe(true);
      expect(has(/rocker_tts_time_to_first_audio_seconds_bucket/)).toBe(true);
    });
  });

  it('fleet-wide gauges are read once per fleet (max/min over instances) by every panel, rule and runbook query', () => {
    const exprs = [
      ...dashboards.flatMap((file) =>
        panelsOf((JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as { panels: Panel[] }).panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ),
      ...rules.map((r) => r.expr),
      ...readdirSync(RUNBOOKS_DIR).flatMap((f) => [...readFileSync(join(RUNBOOKS_DIR, f), 'utf8').matchAll(/^q '(.+)'/gm)].map((m) => m[1])),
    ];
    expect(exprs.filter((e) => /rocker_queue_jobs/.test(e)).length).toBeGreaterThan(3);
    expect(exprs.flatMap(summedFleetGauges)).toEqual([]);
    // and the check itself catches the summed form
    expect(summedFleetGauges('sum by (org) (rocker_queue_jobs{state="queued"})')).toHaveLength(1);
    expect(summedFleetGauges('sum by (org) (max by (queue, org, state) (rocker_queue_jobs))')).toEqual([]);
  });

  it('promtool check rules passes on every rule file', () => {
    const r = promtool('check', 'rules', ...ruleFiles);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it('promtool unit tests of the alerts pass (they fire on the condition, stay quiet otherwise)', () => {
    const tests = readdirSync(join(ROOT, 'ops/prometheus/tests')).map((f) => join(ROOT, 'ops/prometheus/tests', f));
    expect(tests.length).toBeGreaterThan(0);
    const r = spawnSync(PROMTOOL_BIN, ['test', 'rules', ...tests], { encoding: 'utf8', cwd: join(ROOT, 'ops/prometheus/tests') });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('the compose Prometheus config is valid (promtool check config)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rocker-promcfg-'));
    try {
      const cfg = readFileSync(join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8')
        .replaceAll('/run/secrets/metrics_token', join(dir, 'metrics_token'))
        .replaceAll('/etc/prometheus/rules/', join(dir, 'rules') + '/');
      writeFileSync(join(dir, 'metrics_token'), 'x'.repeat(32));
      cpSync(RULES_DIR, join(dir, 'rules'), { recursive: true });
      writeFileSync(join(dir, 'prometheus.yml'), cfg);
      const r = promtool('check', 'config', join(dir, 'prometheus.yml'));
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('alert and recording-rule queries name only exported metrics, recording rules or up', () => {
    const unknown = rules.flatMap((r) =>
      metricNames(r.expr).filter((n) => !exported.has(n) && !recorded.has(n)).map((n) => `${r.alert ?? r.record}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });

  it.each(alerts.map((a) => [a.alert!, a] as const))('%s links an existing runbook with every section', (_name, alert) => {
    const url = alert.annotations?.runbook_url ?? '';
    const m = /docs\/runbooks\/([a-z0-9-]+\.md)$/.exec(url);
    expect(m, url).not.toBeNull();
    const path = join(RUNBOOKS_DIR, m![1]);
    expect(existsSync(path), path).toBe(true);
    const text = readFileSync(path, 'utf8');
    for (const section of ['Symptoms', 'Dashboards', 'Commands', 'Fixes', 'Follow-up']) expect(text, `${m![1]}: ${section}`).toMatch(new RegExp(`^## ${section}`, 'm'));
    expect(text, `${m![1]} should mention ${alert.alert}`).toContain(alert.alert!);
    expect(alert.labels?.severity).toMatch(/^(page|ticket)$/);
    expect(alert.annotations?.summary).toBeTruthy();
  });

  it('the issue\'s runbooks exist, each with every section', () => {
    for (const f of ['one-org-flooding', 'queue-backlog', 'cross-tenant-leak', 'db-pool-exhaustion', 'redis-outage', 'provider-outage', 'rls-plan-regression']) {
      const text = readFileSync(join(RUNBOOKS_DIR, `${f}.md`), 'utf8');
      for (const section of ['Symptoms', 'Dashboards', 'Commands', 'Fixes', 'Follow-up']) expect(text, `${f}: ${section}`).toMatch(new RegExp(`^## ${section}`, 'm'));
    }
    expect(readFileSync(join(RUNBOOKS_DIR, 'cross-tenant-leak.md'), 'utf8')).toMatch(/npm run audit/);
  });

  it('runbook links between runbooks resolve', () => {
    for (const f of readdirSync(RUNBOOKS_DIR)) {
      for (const m of readFileSync(join(RUNBOOKS_DIR, f), 'utf8').matchAll(/\]\(([a-z0-9-]+\.md)\)/g)) {
        expect(existsSync(join(RUNBOOKS_DIR, m[1])), `${f} → ${m[1]}`).toBe(true);
      }
    }
  });
});

describe('deployment files parse and hold what operations relies on', () => {
  const k8sDocs = readdirSync(join(ROOT, 'deploy/k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => loadAll(readFileSync(join(ROOT, 'deploy/k8s', f), 'utf8')).map((d) => ({ file: f, doc: d as any })));
  const byKind = (kind: string) => k8sDocs.filter((d) => d.doc?.kind === kind).map((d) => d.doc);

  it('docker-compose.yml has api, worker, Postgres with pgvector, Redis, Prometheus with the rules, Grafana with the dashboards', () => {
    const compose = load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as any;
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['api', 'worker', 'postgres', 'redis', 'prometheus', 'grafana', 'migrate']));
    expect(compose.services.postgres.image).toMatch(/^pgvector\/pgvector:pg1[5-9]/);
    expect(compose.services.prometheus.volumes.join(' ')).toContain('./ops/prometheus/rules:');
    expect(compose.services.grafana.volumes.join(' ')).toContain('./ops/grafana/dashboards:');
    expect(compose.services.grafana.volumes.join(' ')).toContain('./ops/grafana/provisioning:');
    expect(compose.services.worker.command).toEqual(['node', 'dist/src/worker.js']);
    for (const v of compose.services.prometheus.volumes.concat(compose.services.grafana.volumes, compose.services.postgres.volumes)) {
      const src = String(v).split(':')[0];
      if (src.startsWith('./')) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
  });

  it('Grafana provisioning parses and points at the dashboards folder', () => {
    const ds = load(readFileSync(join(ROOT, 'ops/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as any;
    expect(ds.datasources[0].type).toBe('prometheus');
    const prov = load(readFileSync(join(ROOT, 'ops/grafana/provisioning/dashboards/rocker.yml'), 'utf8')) as any;
    expect(prov.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('Dockerfile is multi-stage, Node 24, non-root, with a health check on /health/live', () => {
    const df = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(df.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(df).toMatch(/^ARG NODE_IMAGE=node:24-/m);
    expect(df).toMatch(/^USER node$/m);
    expect(df).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
  });

  it('Kubernetes: api and worker Deployments probe /health/live and /health/ready, non-root', () => {
    const deployments = byKind('Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['rocker-api', 'rocker-worker']);
    for (const d of deployments) {
      const c = d.spec.template.spec.containers[0];
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    }
  });

  it('Kubernetes: an HPA per Deployment, a migration Job, PodDisruptionBudgets', () => {
    expect(byKind('HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name).sort()).toEqual(['rocker-api', 'rocker-worker']);
    const job = byKind('Job')[0];
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/scripts/migrate.js', 'up']);
    expect(byKind('PodDisruptionBudget').length).toBe(2);
    const kust = load(readFileSync(join(ROOT, 'deploy/k8s/kustomization.yaml'), 'utf8')) as { resources: string[] };
    for (const r of kust.resources) expect(existsSync(join(ROOT, 'deploy/k8s', r)), r).toBe(true);
    expect(kust.resources).not.toContain('secret.example.yaml');
  });

  it('Kubernetes: the PrometheusRule is generated from ops/prometheus/rules and has not drifted (npm run gen:prometheusrule)', () => {
    expect(readFileSync(MANIFEST_PATH, 'utf8')).toBe(prometheusRuleManifest());
    const [pr] = byKind('PrometheusRule');
    const fromFiles = ruleFiles.flatMap((f) => (load(readFileSync(f, 'utf8')) as { groups: unknown[] }).groups);
    expect(pr.spec.groups).toEqual(fromFiles);
    const kust = load(readFileSync(join(ROOT, 'deploy/k8s/kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect(kust.resources).toContain('prometheusrule.yaml');
  });

  it('no static instance count anywhere in deploy/ or compose: the limiter learns the live count from heartbeats', () => {
    const files = [
      'docker-compose.yml',
      ...readdirSync(join(ROOT, 'deploy'), { recursive: true, encoding: 'utf8' }).map((f) => join('deploy', f)).filter((f) => /\.(ya?ml|sql|env)$/.test(f)),
    ];
    const found = files.filter((f) => /INSTANCES/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(found).toEqual([]);
    const env = readFileSync(join(ROOT, 'src/config/env.ts'), 'utf8');
    expect(env).not.toMatch(/RATE_LIMIT_INSTANCES/);
  });
});


describe('documentation links', () => {
  const docs = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
  function anchorsOf(text: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const m of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
      const slug = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      out.add(n === 0 ? slug : `${slug}-${n}`);
    }
    return out;
  }

  it('the README stays short and every page it grew into exists', () => {
    expect(readFileSync(join(ROOT, 'README.md')).length).toBeLessThanOrEqual(15_000);
    for (const page of ['architecture', 'isolation', 'ingest', 'limits', 'search', 'intake', 'operations', 'security', 'configuration', 'performance']) {
      expect(docs, page).toContain(join('docs', `${page}.md`));
    }
  });

  it.each(docs)('%s: every relative link and anchor resolves', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const broken: string[] = [];
    for (const [, link] of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link)) continue;
      const [path, fragment] = link.split('#');
      const target = path ? join(ROOT, dirname(file), path) : join(ROOT, file);
      if (!existsSync(target)) broken.push(link);
      else if (fragment && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(fragment)) broken.push(link);
    }
    expect(broken).toEqual([]);
  });
});
