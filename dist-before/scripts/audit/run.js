import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import { parseArgs } from '../lib/args.js';
import { auditDbAccess } from './check-db-access.js';
import { auditOrgRouting, auditTableClassification } from './check-org-routing.js';
import { auditRoutes, formatRouteTable } from './check-tenant-guards.js';
import { formatFinding } from './findings.js';
import { createAuditProgram } from './source.js';
import { redactUrl, runSqlAudit } from './sql-audit.js';
/**
 * npm run audit: the route audit, the database-access audit, the org-routing audit, the RLS audit
 * and the backfill check.
 * Prints the route table and every finding (file:line or table, problem, fix); exit code 1 on any.
 */
export const ALL_AUDITS = ['routes', 'db-access', 'org-routing', 'rls', 'backfill'];
/** This tool's own directory tree (where the .sql files are), from src or from dist. */
function toolRoot() {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir)
        dir = path.dirname(dir);
    return dir;
}
export const SQL_DIR = path.join(toolRoot(), 'scripts/audit');
export async function runAudit(opts) {
    const print = opts.print ?? ((l) => console.log(l));
    const only = new Set(opts.only ?? ALL_AUDITS);
    const root = path.resolve(opts.root);
    const findings = [];
    let routes = [];
    const section = (title, found, notes = []) => {
        print(`== ${title}: ${found.length} finding(s)`);
        for (const n of notes)
            print(`   ${n}`);
        for (const f of found)
            print(formatFinding(f));
        findings.push(...found);
    };
    if (only.has('routes') || only.has('db-access') || only.has('org-routing')) {
        const program = createAuditProgram(root);
        if (only.has('routes')) {
            const r = auditRoutes(program, root);
            routes = r.routes;
            print(`== route table (${routes.length} routes)`);
            print(formatRouteTable(routes));
            section('route audit (scripts/audit/check-tenant-guards.ts)', r.findings);
        }
        if (only.has('db-access')) {
            const r = auditDbAccess(program, root);
            const files = new Set(r.allowed.map((a) => a.where.split(':')[0]));
            const notes = [
                `${r.filesScanned} files scanned; ${r.allowed.length} use(s) in ${files.size} file(s) permitted by scripts/audit/db-access-allowlist.ts`,
            ];
            for (const s of r.stale)
                notes.push(`stale allowlist entry (matches no file, remove it): ${s.path}`);
            section('database-access audit (scripts/audit/check-db-access.ts)', r.findings, notes);
        }
        if (only.has('org-routing')) {
            const r = auditOrgRouting(program, root);
            const found = [...r.findings];
            const notes = [`${r.checked} statement(s) on tenant tables (scripts/audit/tenant-tables.ts) name the context's org`];
            if (opts.databaseUrl)
                found.push(...(await auditTableClassification(opts.databaseUrl)));
            else
                notes.push('no database: the classification of org_id tables was not checked');
            section('org-routing audit (scripts/audit/check-org-routing.ts)', found, notes);
        }
    }
    if (only.has('rls')) {
        if (!opts.databaseUrl) {
            section('RLS audit', [
                {
                    audit: 'rls',
                    where: 'DATABASE_URL',
                    problem: 'no database to audit',
                    fix: 'set DATABASE_URL (or run npm run setup, which writes .env), or pass --database-url',
                },
            ]);
        }
        else {
            const r = await runSqlAudit('rls', path.join(SQL_DIR, 'verify-rls.sql'), opts.databaseUrl, opts.appRole ? { 'audit.app_role': opts.appRole } : {});
            section(`RLS audit (scripts/audit/verify-rls.sql on ${redactUrl(opts.databaseUrl)})`, r.findings, r.notes);
        }
    }
    if (only.has('backfill')) {
        if (!opts.adminUrl) {
            section('backfill check', [
                {
                    audit: 'backfill',
                    where: 'PG_ADMIN_URL',
                    problem: 'no superuser connection: NULL org_id rows are invisible to the app and owner roles (RLS)',
                    fix: 'set PG_ADMIN_URL (a superuser or BYPASSRLS role), or pass --admin-url',
                },
            ]);
        }
        else {
            const r = await runSqlAudit('backfill', path.join(SQL_DIR, 'verify-backfill.sql'), opts.adminUrl);
            section(`backfill check (scripts/audit/verify-backfill.sql on ${redactUrl(opts.adminUrl)})`, r.findings, r.notes);
        }
    }
    print(findings.length ? `audit failed: ${findings.length} finding(s)` : 'audit passed: 0 findings');
    return { findings, routes };
}
/** PG_ADMIN_URL points at the server (database "postgres"); the check needs DATABASE_URL's database. */
export function adminUrlFor(adminUrl, databaseUrl) {
    if (!adminUrl || !databaseUrl)
        return adminUrl;
    const a = new URL(adminUrl);
    a.pathname = new URL(databaseUrl).pathname;
    return a.toString();
}
/** The superuser setup.sh uses on a development machine (trust auth on loopback). */
const DEV_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
async function main() {
    const args = parseArgs(process.argv.slice(2));
    const root = path.resolve(args.root ?? process.cwd());
    const dotEnv = existsSync(path.join(root, '.env'))
        ? parseEnv(readFileSync(path.join(root, '.env'), 'utf8'))
        : {};
    const env = { ...dotEnv, ...process.env };
    const databaseUrl = args['database-url'] ?? env.DATABASE_URL;
    const only = args.only ? args.only.split(',') : undefined;
    const unknown = only?.filter((a) => !ALL_AUDITS.includes(a));
    if (unknown?.length) {
        console.error(`unknown audit(s): ${unknown.join(', ')} (known: ${ALL_AUDITS.join(', ')})`);
        process.exit(2);
    }
    const report = await runAudit({
        root,
        databaseUrl,
        adminUrl: args['admin-url'] ??
            adminUrlFor(env.PG_ADMIN_URL ?? (env.NODE_ENV === 'production' ? undefined : DEV_ADMIN_URL), databaseUrl),
        appRole: args['app-role'],
        only,
    });
    process.exitCode = report.findings.length ? 1 : 0;
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
    main().catch((e) => {
        console.error(`audit crashed: ${e instanceof Error ? e.message : String(e)}`);
        process.exit(1);
    });
}
//# sourceMappingURL=run.js.map