import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { startPrometheus, type PrometheusHandle } from './support/prometheus.js';
import { ADMIN_URL } from './support/urls.js';
import { until } from './support/wait.js';
import type { Env } from '../src/config/env.js';

const RUNBOOKS = resolve('docs/runbooks');
const RULES_DIR = resolve('ops/prometheus/rules');
/** Ends a command that only a production system can run (kubectl, a pod's IP, an extension we do not install). */
const PRODUCTION = /#\s*needs: production\b.*$/;

const blocksOf = (text: string) => [...text.matchAll(/^```(?:bash|sh)\n([\s\S]*?)^```/gm)].map((m) => m[1]);
const pages = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();
const conventions = blocksOf(readFileSync(join(RUNBOOKS, 'README.md'), 'utf8'));

/** The block as run: lines marked for production dropped, placeholders filled. */
function runnable(block: string, fill: Record<string, string>): string {
  const lines = block.split('\n').filter((l) => !PRODUCTION.test(l));
  let text = lines.join('\n');
  for (const [k, v] of Object.entries(fill)) text = text.replaceAll(k, v);
  return text;
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn('bash', ['-c', script], { env, cwd: resolve('.'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

/**
 * Every shell command of docs/runbooks/ runs against a started service on its own database, with a
 * real Prometheus scraping it (for `q`), Postgres and Redis, the README's conventions sourced first and
 * the placeholders filled in. A command a test cannot run is marked `# needs: production`.
 */
describe('runbook commands run', () => {
  let db: TestDb;
  let env: Env;
  let t: TestApp;
  let prom: PrometheusHandle;
  let shellEnv: Record<string, string>;
  let fill: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDb();
    env = envFor(db.appUrl, db.ownerUrl);
    t = await startApp(env);
    const root = await createUser(db.owner, { superAdmin: true });
    const A = await orgWithRoles(db.owner);
    await asOrg(db.owner, A.org.id, (c) =>
      c.query(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 'k', 'text', 'x')`, [A.org.id]),
    );
    await fetch(`${t.url}/v1/threads`, { headers: { Authorization: `Bearer ${A.tokens.member}` } });
    prom = await startPrometheus({ target: new URL(t.url).host, token: TEST_ENV_VARS.METRICS_TOKEN, ruleFiles: readdirSync(RULES_DIR).map((f) => join(RULES_DIR, f)) });
    await until(async () => (await prom.query('up == 1')).length === 1, 45_000, 'the service scraped', 250);
    shellEnv = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/root',
      ...TEST_ENV_VARS,
      API: t.url,
      PROM: prom.url,
      DB: db.name,
      DATABASE_URL: db.appUrl,
      DATABASE_OWNER_URL: db.ownerUrl,
      PG_ADMIN_URL: ADMIN_URL,
      REDIS_URL: env.REDIS_URL,
      REDIS_PREFIX: env.REDIS_PREFIX,
      ROOT: await tokenFor(root),
    };
    fill = { '<org-uuid>': A.org.id, '<org-A>': A.org.id, '<user-uuid>': A.users.member.id };
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    await t?.close();
    await db?.drop();
  });

  it('every page has commands, and what is left out is marked, single-line and the only kind that needs a cluster', () => {
    expect(conventions).toHaveLength(1);
    for (const page of pages) {
      const blocks = blocksOf(readFileSync(join(RUNBOOKS, page), 'utf8'));
      expect(blocks.length, page).toBeGreaterThan(0);
      for (const block of blocks) {
        const lines = block.split('\n');
        for (const [i, line] of lines.entries()) {
          if (PRODUCTION.test(line)) expect(line.trimEnd().endsWith('\\') || lines[i - 1]?.trimEnd().endsWith('\\'), `${page}: ${line}`).toBe(false);
          else expect(line, `${page}: unmarked production-only command`).not.toMatch(/\bkubectl\b|<pod|<redis-pod>|<provider-url>/);
        }
        // curl against the API fails on a 4xx (the old one-org-flooding call answered 403 and "worked")
        for (const line of lines.filter((l) => /^\s*curl\b.*\$API/.test(l))) expect(line, page).toMatch(/\s-[a-zA-Z]*f|--fail/);
        expect(runnable(block, fill), page).not.toMatch(/<[a-z-]+-(uuid|A|B)>/);
      }
    }
  });

  it.each(pages)('%s: every command exits 0', async (page) => {
    const blocks = blocksOf(readFileSync(join(RUNBOOKS, page), 'utf8'));
    for (const block of blocks) {
      const script = ['set -eo pipefail', runnable(conventions[0], fill), runnable(block, fill)].join('\n');
      const { code, out } = await bash(script, shellEnv);
      expect(code, `${page}:\n${runnable(block, fill)}\n--- output ---\n${out.slice(-3000)}`).toBe(0);
    }
  }, 300_000); // cross-tenant-leak runs the whole audit

  it('one-org-flooding: a super_admin reads and changes a non-member org\'s limits (the page\'s commands, checked)', async () => {
    const block = blocksOf(readFileSync(join(RUNBOOKS, 'one-org-flooding.md'), 'utf8')).map((b) => runnable(b, fill)).join('\n');
    const read = block.split('\n').find((l) => l.includes('/limits') && !l.includes('-X PUT'))!;
    const { code, out } = await bash([runnable(conventions[0], fill), read].join('\n'), shellEnv);
    expect(code, out).toBe(0);
    expect(JSON.parse(out)).toHaveProperty('job_concurrency');
  }, 60_000);
});
