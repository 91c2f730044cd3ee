import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDbAccess, type DbAccessResult } from '../scripts/audit/check-db-access.js';
import { auditOrgRouting, type OrgRoutingResult } from '../scripts/audit/check-org-routing.js';
import { auditRoutes, type RouteAuditResult } from '../scripts/audit/check-tenant-guards.js';
import type { Finding } from '../scripts/audit/findings.js';
import { runAudit, SQL_DIR } from '../scripts/audit/run.js';
import { createAuditProgram } from '../scripts/audit/source.js';
import { createTestDb, type TestDb } from './support/db.js';
import { CURRENT_ORG, RAW_SETTING_ORG, tenantTableSql } from './support/rls.js';
import { dbUrl } from './support/urls.js';

/** Type-checking the whole tree takes ~10 s of CPU; much more wall time on a busy 2-core machine. */
const PROGRAM_TIMEOUT = 300_000;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A copy of the service's code in a temp dir (node_modules linked), to plant violations in. */
function scratchTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rocker-audit-'));
  const skip = (src: string) => !/[/\\](node_modules|runtime)([/\\]|$)/.test(path.relative(ROOT, src));
  for (const d of ['src', 'scripts', 'bench', 'test/support']) {
    if (existsSync(path.join(ROOT, d)))
      cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true, filter: skip });
  }
  for (const f of ['tsconfig.json', 'package.json', 'ormconfig.ts']) {
    if (existsSync(path.join(ROOT, f))) copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  return dir;
}

function plant(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

function edit(root: string, rel: string, from: string, to: string): void {
  const file = path.join(root, rel);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} no longer contains the text this test edits`);
  writeFileSync(file, text.replace(from, to));
}

/** "file:line" of the (single) line containing a marker. */
function at(root: string, rel: string, marker: string): string {
  const lines = readFileSync(path.join(root, rel), 'utf8').split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`marker ${marker} found ${hits.length} times in ${rel}`);
  return `${rel}:${hits[0]}`;
}

const whereOf = (findings: Finding[]) => findings.map((f) => f.where);

describe('npm run audit on the real tree and a freshly migrated database', () => {
  let db: TestDb;
  let out: string[];
  let report: Awaited<ReturnType<typeof runAudit>>;

  beforeAll(async () => {
    db = await createTestDb();
    out = [];
    report = await runAudit({
      root: ROOT,
      databaseUrl: db.appUrl,
      adminUrl: dbUrl(db.name, 'postgres'),
      print: (l) => out.push(l),
    });
  }, PROGRAM_TIMEOUT);
  afterAll(async () => {
    await db?.drop();
  });

  it('passes with no finding', () => {
    expect(report.findings).toEqual([]);
    expect(out.at(-1)).toBe('audit passed: 0 findings');
  });

  it('prints the route table with each route protection', () => {
    const table = out.join('\n');
    const row = (method: string, p: string) => report.routes.find((r) => r.method === method && r.path === p);
    expect(row('GET', '/health/live')?.protection).toBe('public');
    expect(row('POST', '/v1/org/invitations')?.protection).toBe('roles:admin');
    expect(row('DELETE', '/v1/org/members/:userId')?.protection).toBe('roles:admin');
    expect(row('DELETE', '/v1/org/members/me')?.protection).toBe('tenant');
    expect(row('POST', '/v1/invitations/:token/accept')?.protection).toBe('no-org');
    expect(row('GET', '/v1/threads')?.protection).toBe('tenant');
    expect(row('POST', '/v1/threads')?.protection).toBe('roles:member');
    expect(table).toMatch(/GET\s+\/health\/live\s+public/);
    expect(table).toMatch(
      /PATCH\s+\/v1\/org\/members\/:userId\s+roles:admin\s+-\s+OrgController\.updateMember\s+src\/modules\/org\/org\.controller\.ts:\d+/,
    );
  });

  it('ran all four audits, the SQL ones on the database given', () => {
    const text = out.join('\n');
    expect(text).toContain('== route audit');
    expect(text).toContain('== database-access audit');
    expect(text).toMatch(/== RLS audit .*rocker_app:\*\*\*@/); // password redacted
    expect(text).toMatch(
      /RLS audit: \d+ table\(s\) with org_id, \d+ SECURITY DEFINER function\(s\), app role rocker_app, 0 finding\(s\)/,
    );
    expect(text).toContain('SECURITY DEFINER public.auth_context(uuid)');
    expect(text).toContain('== backfill check');
  });
});

describe('static audits on a scratch copy with planted violations', () => {
  let root: string;
  let routes: RouteAuditResult;
  let dbAccess: DbAccessResult;
  let orgRouting: OrgRoutingResult;
  const ROUTED = 'src/modules/planted/routed.repository.ts';
  const CTRL = 'src/modules/planted/planted.controller.ts';
  const SVC = 'src/modules/planted/planted.service.ts';
  const REPO = 'src/modules/planted/planted.repository.ts';
  const ORG = 'src/modules/org/org.controller.ts';

  beforeAll(() => {
    root = scratchTree();
    plant(
      root,
      CTRL,
      `import { applyDecorators, CanActivate, Controller, Get, Injectable, Post, Put, UseGuards } from '@nestjs/common';
import { Public as Open, Roles, SuperAdmin } from '../../common/decorators/auth.decorators.js';

const Anyone = () => applyDecorators(Open());

@Injectable()
class AlwaysGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('v1/planted')
export class PlantedController {
  @Get('open')
  @Open() // PLANT:public
  open(): number {
    return 1;
  }

  @Get('wrapped')
  @Anyone() // PLANT:wrapped
  wrapped(): number {
    return 1;
  }

  @Post('guarded')
  @UseGuards(AlwaysGuard) // PLANT:guards
  guarded(): number {
    return 1;
  }
}

@Controller('v1/admin/planted')
export class PlantedAdminController {
  @Put(':id')
  @Roles('owner')
  update(): number { // PLANT:admin
    return 1;
  }

  @Put(':id/ok')
  @SuperAdmin()
  fine(): number {
    return 1;
  }

  @Get()
  list(): number {
    return 1;
  }
}
`,
    );
    // An org-admin route loses its role decorator.
    edit(root, ORG, `  @Patch('members/:userId')\n  @Roles('admin')\n`, `  @Patch('members/:userId')\n`);
    plant(
      root,
      REPO,
      `import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';

@Injectable()
export class PlantedRepository {
  constructor(private readonly db: TenantDb) {}

  count(): Promise<{ n: number } | undefined> {
    return this.db.one('SELECT count(*)::int AS n FROM rocker_threads');
  }

  run(sql: string): Promise<unknown[]> {
    return this.db.query(sql);
  }
}
`,
    );
    plant(
      root,
      SVC,
      `import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm'; // PLANT:import
import { createDataSource } from '../../database/data-source.js'; // PLANT:factory
import { TenantDb } from '../../tenancy/tenant-context.js';
import { PlantedRepository } from './planted.repository.js';

@Injectable()
export class PlantedService {
  constructor(
    private readonly dataSource: DataSource, // PLANT:inject
    private readonly db: TenantDb, // PLANT:tenantdb
    private readonly repo: PlantedRepository,
  ) {}

  raw(): Promise<unknown> {
    return this.dataSource.query('select 1'); // PLANT:query
  }

  sqlInService(id: string): Promise<unknown[]> {
    return this.repo.run(\`DELETE FROM rocker_threads WHERE id = '\${id}'\`); // PLANT:sql
  }

  indirect(): unknown {
    return createDataSource({ url: 'postgres://x' }).manager; // PLANT:indirect
  }

  settings(): Promise<unknown> {
    return this.repo.run("select set_config('app.org_id', '', false)"); // PLANT:setting
  }
}
`,
    );
    // Tenant-table queries with and without the context's org (the org-routing audit).
    plant(
      root,
      ROUTED,
      `import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';

const BY_ID = 'SELECT id FROM rocker_threads WHERE org_id = $1 AND id = $2';

@Injectable()
export class RoutedRepository {
  constructor(private readonly db: TenantDb) {}

  private org(): string {
    return this.db.context().orgId!;
  }

  good(id: string): Promise<unknown[]> {
    const { orgId } = this.db.context();
    return this.db.query(BY_ID, [orgId, id]);
  }

  goodJoin(): Promise<unknown[]> {
    return this.db.query(
      'SELECT m.id FROM rocker_threads t JOIN rocker_messages m ON m.org_id = t.org_id AND m.thread_id = t.id WHERE t.org_id = $1',
      [this.org()],
    );
  }

  goodInsert(title: string): Promise<unknown[]> {
    return this.db.query('INSERT INTO rocker_threads (org_id, title) VALUES ($1, $2)', [this.db.context().orgId, title]);
  }

  noOrg(id: string): Promise<unknown> {
    return this.db.one('SELECT id FROM rocker_threads WHERE id = $1', [id]); // PLANT:noorg
  }

  callerOrg(orgId: string, id: string): Promise<unknown> {
    return this.db.one('SELECT id FROM rocker_threads WHERE org_id = $1 AND id = $2', [orgId, id]); // PLANT:callerorg
  }

  unfilteredJoin(): Promise<unknown[]> {
    return this.db.query('SELECT m.id FROM rocker_threads t JOIN rocker_messages m ON m.thread_id = t.id WHERE t.org_id = $1', [this.org()]); // PLANT:join
  }

  insertNoOrg(title: string): Promise<unknown[]> {
    return this.db.query('INSERT INTO knowledge_items (title) VALUES ($1)', [title]); // PLANT:insert
  }

  dynamic(table: string): Promise<unknown[]> {
    let sql = 'SELECT 1';
    if (table) sql = 'SELECT id FROM knowledge_items';
    return this.db.query(sql); // PLANT:dynamic
  }
}
`,
    );
    const program = createAuditProgram(root);
    routes = auditRoutes(program, root);
    dbAccess = auditDbAccess(program, root);
    orgRouting = auditOrgRouting(program, root);
  }, PROGRAM_TIMEOUT);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const routeFinding = (where: string, text: string) =>
    expect(
      routes.findings.find((f) => f.where === where && f.problem.includes(text)),
      `${where} ${text}\n${JSON.stringify(routes.findings, null, 1)}`,
    );
  const dbFinding = (where: string, text: string) =>
    expect(
      dbAccess.findings.find((f) => f.where === where && f.problem.includes(text)),
      `${where} ${text}\n${JSON.stringify(dbAccess.findings, null, 1)}`,
    );

  it('fails on a public route off the allowlist, naming file:line, route and fix', () => {
    const f = routes.findings.find((x) => x.where === at(root, CTRL, 'PLANT:public'));
    expect(f).toBeDefined();
    expect(f!.problem).toContain('GET /v1/planted/open');
    expect(f!.fix).toContain('PUBLIC_ROUTES');
    expect(routes.routes.find((r) => r.path === '/v1/planted/open')?.protection).toBe('public');
  });

  it('sees through a custom decorator that composes @Public()', () => {
    routeFinding(at(root, CTRL, 'PLANT:wrapped'), 'GET /v1/planted/wrapped').toBeDefined();
  });

  it('fails on @UseGuards', () => {
    routeFinding(at(root, CTRL, 'PLANT:guards'), 'attaches guard AlwaysGuard').toBeDefined();
  });

  it('fails on a mutating /v1/admin route without @SuperAdmin(), not on one with it, nor on a GET', () => {
    routeFinding(at(root, CTRL, 'PLANT:admin'), 'PUT /v1/admin/planted/:id').toBeDefined();
    expect(routes.findings.some((f) => f.problem.includes('/v1/admin/planted/:id/ok'))).toBe(false);
    expect(routes.findings.some((f) => f.problem.includes('GET /v1/admin/planted'))).toBe(false);
  });

  it('fails on a mutating org-admin route that lost @Roles', () => {
    routeFinding(
      at(root, ORG, '  updateMember('),
      "PATCH /v1/org/members/:userId (OrgController.updateMember) needs @Roles('admin')",
    ).toBeDefined();
    expect(routes.findings.some((f) => f.problem.includes('DELETE /v1/org/members'))).toBe(false);
  });

  it('reports nothing else about routes', () => {
    expect(routes.findings).toHaveLength(5);
  });

  it('fails on a raw DataSource imported, injected and queried in a service', () => {
    dbFinding(at(root, SVC, 'PLANT:import'), "imports 'typeorm'").toBeDefined();
    dbFinding(at(root, SVC, 'PLANT:inject'), 'injects/receives a DataSource (typeorm)').toBeDefined();
    dbFinding(at(root, SVC, 'PLANT:query'), 'uses DataSource (typeorm).query').toBeDefined();
    expect(dbAccess.findings.find((f) => f.where === at(root, SVC, 'PLANT:query'))!.fix).toContain(
      'repository',
    );
  });

  it('finds a DataSource reached without importing typeorm (by its type)', () => {
    dbFinding(at(root, SVC, 'PLANT:factory'), 'src/database/data-source').toBeDefined();
    dbFinding(at(root, SVC, 'PLANT:indirect'), 'uses DataSource (typeorm).manager').toBeDefined();
  });

  it('fails on SQL held by a service, and on TenantDb outside a repository', () => {
    dbFinding(at(root, SVC, 'PLANT:sql'), 'SQL in a file that is not a *.repository.ts').toBeDefined();
    dbFinding(at(root, SVC, 'PLANT:setting'), 'set_config').toBeDefined();
    dbFinding(at(root, SVC, 'PLANT:tenantdb'), 'TenantDb').toBeDefined();
  });

  it('lets a repository hold SQL through TenantDb', () => {
    expect(dbAccess.findings.filter((f) => f.where.startsWith(REPO))).toEqual([]);
  });

  it('reports nothing outside the planted files', () => {
    expect(whereOf(dbAccess.findings).filter((w) => !w.startsWith(SVC))).toEqual([]);
  });

  it("fails on a tenant-table query that does not name the context's org, naming file:line, table and fix", () => {
    const of = (marker: string) => orgRouting.findings.find((f) => f.where === at(root, ROUTED, marker));
    expect(of('PLANT:noorg')?.problem).toContain("rocker_threads does not name the context's org");
    expect(of('PLANT:noorg')?.fix).toContain('org_id = $n');
    expect(of('PLANT:callerorg')?.problem).toContain('rocker_threads'); // an org the caller chose is not the context's
    expect(of('PLANT:join')?.problem).toContain('rocker_messages');
    expect(of('PLANT:join')?.problem).not.toContain('rocker_threads,');
    expect(of('PLANT:insert')?.problem).toContain('knowledge_items');
    expect(of('PLANT:dynamic')?.problem).toContain('cannot read statically');
  });

  it('passes the routed queries, and reports nothing else (the planted count() without org aside)', () => {
    const planted = ['PLANT:noorg', 'PLANT:callerorg', 'PLANT:join', 'PLANT:insert', 'PLANT:dynamic'].map((m) => at(root, ROUTED, m));
    const count = `${REPO}:${readFileSync(path.join(root, REPO), 'utf8').split('\n').findIndex((l) => l.includes('count(*)')) + 1}`;
    expect(whereOf(orgRouting.findings).sort()).toEqual([...planted, count].sort());
  });
});

describe('RLS audit and backfill check on scratch databases with planted violations', () => {
  const dbs: TestDb[] = [];
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  async function scratchDb(ownerSql: string[] = [], adminSql: string[] = []): Promise<TestDb> {
    const db = await createTestDb();
    dbs.push(db);
    for (const s of ownerSql) await db.owner.query(s);
    if (adminSql.length) {
      const admin = new pg.Client({ connectionString: dbUrl(db.name, 'postgres') });
      await admin.connect();
      try {
        for (const s of adminSql) await admin.query(s);
      } finally {
        await admin.end();
      }
    }
    return db;
  }

  async function audit(db: TestDb, opts: { appRole?: string; databaseUrl?: string; adminUrl?: string } = {}) {
    const out: string[] = [];
    const r = await runAudit({
      root: ROOT,
      databaseUrl: opts.databaseUrl ?? db.appUrl,
      adminUrl: opts.adminUrl ?? dbUrl(db.name, 'postgres'),
      appRole: opts.appRole,
      only: ['rls', 'backfill'],
      print: (l) => out.push(l),
    });
    return { findings: r.findings, out: out.join('\n') };
  }

  const table = (
    name: string,
    cols = 'org_id uuid NOT NULL REFERENCES orgs(id), id uuid NOT NULL DEFAULT gen_random_uuid(), title text, PRIMARY KEY (org_id, id)',
  ) => `CREATE TABLE ${name} (${cols})`;

  it('passes on a freshly migrated database', async () => {
    const { findings, out } = await audit(await scratchDb());
    expect(findings).toEqual([]);
    expect(out).toContain('audit passed');
  });

  it('fails on a new table with org_id and no RLS, naming the table', async () => {
    const { findings } = await audit(
      await scratchDb([table('planted_norls'), 'GRANT SELECT ON planted_norls TO rocker_app']),
    );
    const mine = findings.filter((f) => f.where === 'public.planted_norls');
    expect(mine.map((f) => f.problem)).toEqual(
      expect.arrayContaining([
        'row-level security is not enabled',
        'row-level security is not forced (the owner role bypasses it)',
        'no policy for SELECT',
        'no policy for DELETE',
      ]),
    );
    expect(mine.find((f) => f.problem.includes('not enabled'))!.fix).toContain('ENABLE ROW LEVEL SECURITY');
    expect(findings.every((f) => f.audit === 'rls' && f.where === 'public.planted_norls')).toBe(true);
  });

  it('fails on RLS enabled but not forced, and on that alone', async () => {
    const sql = tenantTableSql('planted_unforced').filter((s) => !s.includes('FORCE'));
    const { findings } = await audit(await scratchDb([table('planted_unforced'), ...sql]));
    expect(findings).toEqual([
      {
        audit: 'rls',
        where: 'public.planted_unforced',
        problem: 'row-level security is not forced (the owner role bypasses it)',
        fix: 'ALTER TABLE public.planted_unforced FORCE ROW LEVEL SECURITY',
      },
    ]);
  });

  it('fails on a missing DELETE policy', async () => {
    const sql = tenantTableSql('planted_nodelete').filter((s) => !s.includes('FOR DELETE'));
    const { findings } = await audit(await scratchDb([table('planted_nodelete'), ...sql]));
    expect(findings.map((f) => `${f.where} ${f.problem}`)).toEqual([
      'public.planted_nodelete no policy for DELETE',
    ]);
  });

  it('fails when org_id leads no index', async () => {
    const { findings } = await audit(
      await scratchDb([
        table('planted_noindex', 'id uuid PRIMARY KEY DEFAULT gen_random_uuid(), org_id uuid NOT NULL'),
        ...tenantTableSql('planted_noindex'),
      ]),
    );
    expect(findings.map((f) => `${f.where} ${f.problem}`)).toEqual([
      'public.planted_noindex org_id is not the leading column of any index',
    ]);
  });

  it('fails on a NULL org_id row (seen as the superuser) and on the nullable column', async () => {
    const db = await scratchDb(
      [
        table('planted_nulls', 'org_id uuid, id int NOT NULL'),
        'CREATE INDEX ON planted_nulls (org_id)',
        ...tenantTableSql('planted_nulls'),
      ],
      ['INSERT INTO planted_nulls (org_id, id) VALUES (NULL, 1)'],
    );
    const { findings } = await audit(db);
    expect(findings.map((f) => `${f.audit} ${f.where} ${f.problem}`)).toEqual([
      'rls public.planted_nulls org_id is nullable',
      'backfill public.planted_nulls 1 row(s) with org_id NULL (invisible to every org, owned by none)',
    ]);
    // The app role sees none of those rows: counting as it would have passed.
    const app = new pg.Client({ connectionString: db.appUrl });
    await app.connect();
    expect(
      (await app.query('SELECT count(*)::int AS n FROM planted_nulls WHERE org_id IS NULL')).rows[0].n,
    ).toBe(0);
    await app.end();
  });

  it('refuses to run the backfill check as a role subject to RLS', async () => {
    const db = await scratchDb();
    const { findings } = await audit(db, { adminUrl: db.ownerUrl });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ audit: 'backfill' });
    expect(findings[0].problem).toContain('cannot see every row');
  });

  it('fails on a SECURITY DEFINER function without a fixed search_path, or not reviewed', async () => {
    const { findings } = await audit(
      await scratchDb([
        `CREATE FUNCTION planted_definer(p uuid) RETURNS bigint LANGUAGE sql SECURITY DEFINER
           AS $$ SELECT count(*) FROM rocker_threads WHERE org_id = p $$`,
        `CREATE FUNCTION planted_pinned(p uuid) RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
           AS $$ SELECT count(*) FROM public.rocker_threads WHERE org_id = p $$`,
      ]),
    );
    expect(findings.map((f) => `${f.where} ${f.problem.split(' (')[0]}`).sort()).toEqual([
      'public.planted_definer(uuid) SECURITY DEFINER function not on the reviewed list',
      // new functions are executable by PUBLIC, the API role included
      'public.planted_definer(uuid) SECURITY DEFINER function the API role rocker_app may execute, not on the list reviewed for the API',
      'public.planted_definer(uuid) SECURITY DEFINER without a fixed search_path',
      'public.planted_pinned(uuid) SECURITY DEFINER function not on the reviewed list',
      'public.planted_pinned(uuid) SECURITY DEFINER function the API role rocker_app may execute, not on the list reviewed for the API',
    ]);
    expect(findings.find((f) => f.problem.includes('search_path'))!.fix).toContain('SET search_path');
  });

  it('fails on a reviewed SECURITY DEFINER function granted to the API role off its list (a dispatcher function given back)', async () => {
    const { findings } = await audit(
      await scratchDb(['GRANT EXECUTE ON FUNCTION ingest_queue_stats() TO rocker_app']),
    );
    expect(findings.map((f) => `${f.where} ${f.problem}`)).toEqual([
      'public.ingest_queue_stats() SECURITY DEFINER function the API role rocker_app may execute, not on the list reviewed for the API',
    ]);
    expect(findings[0].fix).toContain('REVOKE EXECUTE ON FUNCTION public.ingest_queue_stats() FROM rocker_app');
  });

  it('fails on a policy that reads an app.* setting directly instead of the verified context', async () => {
    const raw = tenantTableSql('planted_raw').map((s) =>
      s.includes('FOR SELECT')
        ? `CREATE POLICY planted_raw_select ON planted_raw FOR SELECT USING (org_id = ${RAW_SETTING_ORG})`
        : s,
    );
    const { findings } = await audit(
      await scratchDb([
        table('planted_raw'),
        ...raw,
        // not a tenant table: the raw-setting rule covers every policy
        'CREATE TABLE planted_global (id int PRIMARY KEY, note text)',
        'ALTER TABLE planted_global ENABLE ROW LEVEL SECURITY',
        `CREATE POLICY planted_global_write ON planted_global FOR INSERT WITH CHECK (current_setting('app.actor_role', true) = 'super_admin')`,
      ]),
    );
    expect(findings.map((f) => `${f.where} ${f.problem.split(':')[0]}`)).toEqual([
      'public.planted_raw policy planted_raw_select (FOR SELECT, USING) does not restrict rows to the current org',
      'public.planted_global policy planted_global_write (FOR INSERT) reads an app.* setting directly, which set_config alone can forge',
      'public.planted_raw policy planted_raw_select (FOR SELECT) reads an app.* setting directly, which set_config alone can forge',
    ]);
    expect(findings.at(-1)!.fix).toContain('app_ctx_org()');
  });

  it('fails on a policy that applies a non-leakproof function to the row before the org_id comparison', async () => {
    const leaky = tenantTableSql('planted_leaky').map((s) =>
      s.includes('FOR SELECT')
        ? `CREATE POLICY planted_leaky_select ON planted_leaky FOR SELECT USING (lower(title) <> 'x' AND org_id = ${CURRENT_ORG})`
        : s,
    );
    const safe = tenantTableSql('planted_safe').map((s) =>
      s.includes('FOR SELECT')
        ? `CREATE POLICY planted_safe_select ON planted_safe FOR SELECT USING (org_id = ${CURRENT_ORG} AND lower(title) <> 'x')`
        : s,
    );
    const open = tenantTableSql('planted_open').map((s) =>
      s.includes('FOR SELECT')
        ? `CREATE POLICY planted_open_select ON planted_open FOR SELECT USING (org_id = ${CURRENT_ORG} OR title = 'public')`
        : s,
    );
    const { findings } = await audit(
      await scratchDb([
        table('planted_leaky'),
        ...leaky,
        table('planted_safe'),
        ...safe,
        table('planted_open'),
        ...open,
      ]),
    );
    expect(findings.map((f) => `${f.where} ${f.problem.split(':')[0]}`)).toEqual([
      'public.planted_leaky policy planted_leaky_select (FOR SELECT, USING) applies function pg_catalog.lower() (not leakproof) to a row column before the org_id comparison',
      'public.planted_open policy planted_open_select (FOR SELECT, USING) does not restrict rows to the current org',
    ]);
  });

  it('fails when the app role owns a table', async () => {
    const { findings } = await audit(
      await scratchDb(
        [],
        [
          table('planted_owned'),
          ...tenantTableSql('planted_owned'),
          'ALTER TABLE planted_owned OWNER TO rocker_app',
        ],
      ),
    );
    expect(findings.map((f) => `${f.where} ${f.problem.split(' (')[0]}`)).toEqual([
      'public.planted_owned owned by the app role rocker_app',
      // the worker role is a member of the app role: what the app role owns, it can alter too
      'public.planted_owned owned by rocker_app, which the worker role rocker_worker can SET ROLE to',
    ]);
  });

  it('fails when the app role is a superuser or has BYPASSRLS (checked on the roles that are)', async () => {
    const db = await scratchDb();
    const asAuth = await audit(db, { appRole: 'rocker_auth' });
    expect(asAuth.findings.map((f) => `${f.where}: ${f.problem}`)).toContain(
      'role rocker_auth: has BYPASSRLS',
    );
    const asPostgres = await audit(db, { appRole: 'postgres' });
    expect(asPostgres.findings.map((f) => `${f.where}: ${f.problem}`)).toContain(
      'role postgres: is a superuser (superusers bypass RLS)',
    );
  });

  it('fails when the database cannot be reached, instead of passing', async () => {
    const db = await scratchDb();
    const { findings } = await audit(db, { databaseUrl: dbUrl(`${db.name}_missing`, 'rocker_app') });
    expect(findings.some((f) => f.audit === 'rls' && f.problem.includes('could not run'))).toBe(true);
  });

  it('runs as plain psql -f: exit 0 when clean, non-zero naming the table when not', async () => {
    const clean = await scratchDb();
    const dirty = await scratchDb([table('planted_psql')]);
    const psql = (url: string) =>
      spawnSync('psql', ['-X', '-d', url, '-f', path.join(SQL_DIR, 'verify-rls.sql')], { encoding: 'utf8' });
    const ok = psql(clean.appUrl);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('0 finding(s)');
    const bad = psql(dirty.appUrl);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('public.planted_psql: row-level security is not enabled');
    expect(bad.stderr).toContain('RLS audit failed');
  });
});
