import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { DB_ACCESS_ALLOWLIST } from './db-access-allowlist.js';
import { formatFinding } from './findings.js';
import { createAuditProgram, inPackage, locate, projectFiles, relPath } from './source.js';
/**
 * Database-access audit, with the TypeScript compiler API (imports, types of identifiers, call
 * expressions, string literals). Outside the database layer (src/database/) and the reviewed
 * allowlist (db-access-allowlist.ts):
 *  - raw-db:    importing a database driver/ORM module, or holding, injecting, creating or using a
 *               DataSource, EntityManager, QueryRunner, Repository, query builder, TransactionHost
 *               or pg Pool/Client (found by the checker's types, however it was obtained);
 *  - tenant-db: TenantDb anywhere but a *.repository.ts (services call repositories);
 *  - sql:       SQL text (a statement or set_config/current_setting) in a file that is not a
 *               *.repository.ts — services must not hold SQL.
 * Everything a repository runs goes through TenantDb, which refuses to run outside the tenant
 * transaction, so every tenant-table query runs under RLS with the request's org.
 */
const DATABASE_LAYER = 'src/database/';
const RAW_MODULES = [
    'typeorm',
    'pg',
    'pg-pool',
    'pg-cursor',
    'pg-query-stream',
    'postgres',
    '@nestjs/typeorm',
    '@nestjs-cls/transactional',
    '@nestjs-cls/transactional-adapter-typeorm',
    'knex',
    'kysely',
    'pg-promise',
    'slonik',
    'drizzle-orm',
    'sequelize',
    '@mikro-orm/core',
    '@prisma/client',
];
const TYPEORM_HANDLES = [
    'DataSource',
    'Connection',
    'EntityManager',
    'QueryRunner',
    'Repository',
    'TreeRepository',
    'MongoRepository',
    'QueryBuilder',
    'SelectQueryBuilder',
    'InsertQueryBuilder',
    'UpdateQueryBuilder',
    'DeleteQueryBuilder',
    'SoftDeleteQueryBuilder',
    'RelationQueryBuilder',
];
const PG_HANDLES = ['Pool', 'Client', 'PoolClient', 'ClientBase'];
const RAW_HANDLES = [
    { pkg: 'typeorm', names: TYPEORM_HANDLES },
    { pkg: 'pg', names: PG_HANDLES },
    { pkg: '@types/pg', names: PG_HANDLES },
    { pkg: 'pg-pool', names: ['Pool'] },
    { pkg: '@types/pg-pool', names: ['Pool'] },
    { pkg: '@nestjs-cls/transactional', names: ['TransactionHost'] },
];
/** SQL in a string: statements in upper case anywhere; in lower case, at the start and with SQL's shape; tenant settings. */
const SQL_UPPER = /\b(SELECT\b[\s\S]*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+[\w."]+\s+SET\b|DELETE\s+FROM\b|TRUNCATE\s+(TABLE\s+)?[\w."]+|(CREATE|ALTER|DROP)\s+(TABLE|INDEX|POLICY|FUNCTION|ROLE|SCHEMA|VIEW|TRIGGER|EXTENSION)\b|SET\s+(LOCAL\s+)?(ROLE|SESSION)\b|COPY\s+[\w."]+\s+(FROM|TO)\b)/;
const SQL_LOWER_START = /^\s*(select\s[\s\S]*\sfrom\s|insert\s+into\s|update\s+[\w."]+\s+set\s|delete\s+from\s)/i;
const SQL_LOWER_SHAPE = /\$\d|\b(where|returning|values|join|order\s+by|group\s+by|limit)\b|::\w|;\s*$/i;
const SQL_CTE = /^\s*with\s+(recursive\s+)?\w+\s+as\s*\(/i;
const SQL_SETTING = /\b(set_config|current_setting)\s*\(/i;
export function looksLikeSql(text) {
    return (SQL_UPPER.test(text) ||
        (SQL_LOWER_START.test(text) && SQL_LOWER_SHAPE.test(text)) ||
        SQL_CTE.test(text) ||
        SQL_SETTING.test(text));
}
const FIX_RAW = 'move the database work into the feature repository (src/modules/<feature>/<feature>.repository.ts) and run it through TenantDb, inside the tenant transaction where RLS applies; if it truly cannot run in a tenant transaction, add the file to scripts/audit/db-access-allowlist.ts with a reason, for security review';
const FIX_TENANT_DB = 'inject the feature repository instead and give it a method for this query: only *.repository.ts files use TenantDb';
const FIX_SQL = "move the SQL into the feature's *.repository.ts (behind a method with a clear name) and call that method from here";
export function auditDbAccess(program, root, allowlist = DB_ACCESS_ALLOWLIST) {
    const checker = program.getTypeChecker();
    const tenantContextFile = path.resolve(root, 'src/tenancy/tenant-context.ts');
    const dataSourceFile = path.resolve(root, 'src/database/data-source.ts');
    const findings = [];
    const allowed = [];
    const files = projectFiles(program, root);
    /** The raw handle a type is (or contains, for unions), e.g. "DataSource (typeorm)". */
    const rawHandle = (type) => {
        for (const t of type.isUnionOrIntersection() ? type.types : [type]) {
            const sym = t.aliasSymbol ?? t.getSymbol();
            const decl = sym?.declarations?.[0];
            if (!sym || !decl)
                continue;
            const file = path.resolve(decl.getSourceFile().fileName);
            for (const h of RAW_HANDLES)
                if (inPackage(file, h.pkg) && h.names.includes(sym.getName()))
                    return `${sym.getName()} (${h.pkg})`;
        }
        return undefined;
    };
    const isTenantDb = (type) => (type.isUnion() ? type.types : [type]).some((t) => {
        const decl = t.getSymbol()?.declarations?.[0];
        return (t.getSymbol()?.getName() === 'TenantDb' &&
            !!decl &&
            path.resolve(decl.getSourceFile().fileName) === tenantContextFile);
    });
    const rawModule = (spec) => RAW_MODULES.find((m) => spec === m || spec.startsWith(`${m}/`));
    for (const sf of files) {
        const rel = relPath(root, sf.fileName);
        if (rel.startsWith(DATABASE_LAYER))
            continue;
        const entries = allowlist.filter((e) => rel === e.path || (e.path.endsWith('/') && rel.startsWith(e.path)));
        const isRepository = /\.repository\.[mc]?ts$/.test(sf.fileName);
        const seen = new Set();
        const report = (rule, node, problem, fix) => {
            const where = locate(root, node);
            const key = `${where}|${rule}`;
            if (seen.has(key))
                return;
            seen.add(key);
            const entry = entries.find((e) => e.rules.includes(rule));
            if (entry)
                allowed.push({ where, rule, reason: entry.reason });
            else
                findings.push({ audit: 'db-access', where, problem, fix });
        };
        const checkModuleSpecifier = (node, spec, what) => {
            const m = rawModule(spec);
            if (m) {
                report('raw-db', node, `${what} '${spec}' (a raw database API) outside the database layer`, FIX_RAW);
                return;
            }
            if (spec.startsWith('.')) {
                const target = path.resolve(path.dirname(sf.fileName), spec).replace(/\.js$/, '.ts');
                if (target === dataSourceFile) {
                    report('raw-db', node, `${what} src/database/data-source (createDataSource opens a raw pool) outside the database layer`, FIX_RAW);
                }
            }
        };
        const visit = (node) => {
            // imports: static, require() and import()
            if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
                checkModuleSpecifier(node, node.moduleSpecifier.text, 'imports');
            }
            else if (ts.isExportDeclaration(node) &&
                node.moduleSpecifier &&
                ts.isStringLiteral(node.moduleSpecifier)) {
                checkModuleSpecifier(node, node.moduleSpecifier.text, 're-exports');
            }
            else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
                const e = node.moduleReference.expression;
                if (ts.isStringLiteral(e))
                    checkModuleSpecifier(node, e.text, 'requires');
            }
            else if (ts.isCallExpression(node) &&
                (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
                    (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
                node.arguments[0] &&
                ts.isStringLiteral(node.arguments[0])) {
                checkModuleSpecifier(node, node.arguments[0].text, 'loads');
            }
            // holding or injecting a handle (constructor parameters, properties, variables)
            if ((ts.isParameter(node) || ts.isPropertyDeclaration(node) || ts.isVariableDeclaration(node)) &&
                ts.isIdentifier(node.name)) {
                const type = checker.getTypeAtLocation(node.name);
                const handle = rawHandle(type);
                const verb = ts.isParameter(node) ? 'injects/receives' : 'holds';
                if (handle)
                    report('raw-db', node, `${verb} a ${handle} ('${node.name.text}') outside the database layer`, FIX_RAW);
                else if (!isRepository && isTenantDb(type)) {
                    report('tenant-db', node, `${verb} TenantDb ('${node.name.text}') in a file that is not a *.repository.ts`, FIX_TENANT_DB);
                }
            }
            // using one: x.query(...), x.manager, x.createQueryBuilder(...), new Pool(...)
            if (ts.isPropertyAccessExpression(node)) {
                const type = checker.getTypeAtLocation(node.expression);
                const handle = rawHandle(type);
                if (handle) {
                    report('raw-db', node, `uses ${handle}.${node.name.text} outside the database layer`, FIX_RAW);
                }
                else if (!isRepository && isTenantDb(type)) {
                    report('tenant-db', node, `calls TenantDb.${node.name.text} in a file that is not a *.repository.ts`, FIX_TENANT_DB);
                }
            }
            if (ts.isNewExpression(node)) {
                const handle = rawHandle(checker.getTypeAtLocation(node));
                if (handle)
                    report('raw-db', node, `creates a ${handle} outside the database layer`, FIX_RAW);
            }
            // SQL text outside repositories
            if (!isRepository &&
                (ts.isStringLiteral(node) ||
                    ts.isNoSubstitutionTemplateLiteral(node) ||
                    ts.isTemplateExpression(node))) {
                const text = ts.isTemplateExpression(node)
                    ? node.head.text + node.templateSpans.map((s) => `\${}${s.literal.text}`).join('')
                    : node.text;
                if (!ts.isImportDeclaration(node.parent) &&
                    !ts.isExportDeclaration(node.parent) &&
                    looksLikeSql(text)) {
                    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 60);
                    report('sql', node, `SQL in a file that is not a *.repository.ts: "${snippet}${text.length > 60 ? '…' : ''}"`, FIX_SQL);
                }
                if (ts.isTemplateExpression(node)) {
                    for (const s of node.templateSpans)
                        visit(s.expression);
                    return;
                }
            }
            ts.forEachChild(node, visit);
        };
        visit(sf);
    }
    const stale = allowlist.filter((e) => !existsSync(path.join(root, e.path)));
    return { findings, filesScanned: files.length, allowed, stale };
}
/** `node dist/scripts/audit/check-db-access.js [--root <dir>]`: this audit alone. */
async function main() {
    const i = process.argv.indexOf('--root');
    const root = path.resolve(i > 0 ? process.argv[i + 1] : process.cwd());
    const r = auditDbAccess(createAuditProgram(root), root);
    for (const f of r.findings)
        console.log(formatFinding(f));
    console.log(`database-access audit: ${r.filesScanned} files, ${r.allowed.length} reviewed exception(s), ${r.findings.length} finding(s)`);
    process.exitCode = r.findings.length ? 1 : 0;
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
    void main();
//# sourceMappingURL=check-db-access.js.map