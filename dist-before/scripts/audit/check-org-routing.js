import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import ts from 'typescript';
import { formatFinding } from './findings.js';
import { createAuditProgram, locate, projectFiles, relPath } from './source.js';
import { ORG_COLUMN_GLOBAL_TABLES, TENANT_TABLES } from './tenant-tables.js';
/**
 * Org-routing audit (static, TypeScript compiler API): every statement the service runs through
 * TenantDb that reads or writes a tenant table (tenant-tables.ts) names the verified context's org,
 * as a second wall behind RLS and so that a Postgres distributed by org_id (Citus) routes it to one
 * shard. A tenant-table reference passes when
 *  - it is filtered: `org_id = $n` (qualified by its alias when it has one, or unqualified when it
 *    is the statement's only tenant table or has no alias), or joined on org_id
 *    (`a.org_id = b.org_id`) to a filtered one; or
 *  - it is an INSERT target whose column list has org_id, given `$n` (VALUES or SELECT list);
 * and `$n` is the context's org: `this.db.context().orgId`, a `const { orgId } =
 * this.db.context()`, or a method of the class returning that (`this.org()`).
 * Where the SQL is a parameter of the enclosing function (src/database/keyset-page.repository.ts),
 * the callers' SQL is checked instead; SQL that cannot be read statically is a finding.
 */
const FIX = "name the context's org in the statement: `WHERE org_id = $n` (or `alias.org_id = $n`, or a join on org_id to a filtered table; INSERT: org_id in the column list) with this.db.context().orgId as $n. RLS stays the first wall; this is the second, and it routes the statement to one shard under Citus (docs/scaling.md)";
const KEYWORDS = new Set('where set on using join left right inner full cross natural order group limit returning for values select from as and or union except intersect having window offset fetch with ( , ) ;'.split(' '));
/** Removes comments and quoted literals (so an org_id in a string does not count). */
function normalise(sql) {
    return sql
        .replace(/--[^\n]*/g, ' ')
        .replace(/\/\*[\s\S]*?\*\//g, ' ')
        .replace(/'(?:[^']|'')*'/g, "''")
        .toLowerCase();
}
/** Splits on commas outside parentheses. */
function splitTop(list) {
    const out = [];
    let depth = 0;
    let cur = '';
    for (const ch of list) {
        if (ch === '(')
            depth++;
        if (ch === ')')
            depth--;
        if (ch === ',' && depth === 0) {
            out.push(cur.trim());
            cur = '';
        }
        else
            cur += ch;
    }
    if (cur.trim())
        out.push(cur.trim());
    return out;
}
/** The text inside the parenthesis that opens at `open` (index of '('). */
function parenBody(s, open) {
    let depth = 0;
    for (let i = open; i < s.length; i++) {
        if (s[i] === '(')
            depth++;
        else if (s[i] === ')' && --depth === 0)
            return s.slice(open + 1, i);
    }
    return s.slice(open + 1);
}
/**
 * The SQL side of the check. `isOrgParam(n)` answers whether `$n` is bound to the context's org.
 * Exported for the unit spec.
 */
export function checkStatement(rawSql, isOrgParam, tenantTables = TENANT_TABLES) {
    const sql = normalise(rawSql);
    const refs = [];
    const tableAlt = tenantTables.join('|');
    const insert = new RegExp(`\\binsert\\s+into\\s+(${tableAlt})\\b`, 'g');
    const insertAt = new Set();
    for (const m of sql.matchAll(insert))
        insertAt.add(m.index + m[0].length - m[1].length);
    const any = new RegExp(`(?<![.\\w$])(${tableAlt})(?![\\w(.])(?:\\s+(?:as\\s+)?([a-z_][a-z0-9_]*))?`, 'g');
    for (const m of sql.matchAll(any)) {
        const table = m[1];
        const alias = m[2] && !KEYWORDS.has(m[2]) ? m[2] : undefined;
        const at = m.index;
        refs.push({ table, name: alias ?? table, aliased: !!alias, insertTarget: insertAt.has(at) });
    }
    const tenant = [...new Set(refs.map((r) => r.table))];
    if (!refs.length)
        return { unrouted: [], tenantTables: [] };
    const filtered = new Set();
    const readRefs = refs.filter((r) => !r.insertTarget);
    const eq = /(?<![\w$])(?:([a-z_][a-z0-9_]*)\.)?org_id\s*=\s*\$(\d+)(?!\d)|\$(\d+)\s*=\s*(?:([a-z_][a-z0-9_]*)\.)?org_id(?![\w])/g;
    let unqualified = false;
    for (const m of sql.matchAll(eq)) {
        const qual = m[1] ?? m[4];
        const n = Number(m[2] ?? m[3]);
        if (!isOrgParam(n))
            continue;
        if (qual)
            filtered.add(qual);
        else
            unqualified = true;
    }
    if (unqualified) {
        for (const r of readRefs)
            if (!r.aliased || readRefs.length === 1)
                filtered.add(r.name);
    }
    // joins on org_id spread the filter: a.org_id = b.org_id
    const joins = [...sql.matchAll(/([a-z_][a-z0-9_]*)\.org_id\s*=\s*([a-z_][a-z0-9_]*)\.org_id/g)].map((m) => [m[1], m[2]]);
    for (let changed = true; changed;) {
        changed = false;
        for (const [a, b] of joins) {
            if (filtered.has(a) !== filtered.has(b)) {
                filtered.add(a);
                filtered.add(b);
                changed = true;
            }
        }
    }
    const unrouted = new Set();
    for (const r of refs) {
        if (r.insertTarget) {
            if (!insertRouted(sql, r.table, isOrgParam))
                unrouted.add(r.table);
        }
        else if (!filtered.has(r.name))
            unrouted.add(r.table);
    }
    return { unrouted: [...unrouted], tenantTables: tenant };
}
/** INSERT INTO t (..., org_id, ...) VALUES (..., $n, ...) | SELECT ..., $n, ... with $n the org. */
function insertRouted(sql, table, isOrgParam) {
    const m = new RegExp(`\\binsert\\s+into\\s+${table}\\s*\\(`).exec(sql);
    if (!m)
        return false;
    const open = m.index + m[0].length - 1;
    const colsText = parenBody(sql, open);
    const i = splitTop(colsText).indexOf('org_id');
    if (i < 0)
        return false;
    const after = sql.slice(open + colsText.length + 2);
    let values;
    const vm = /^\s*values\s*\(/.exec(after);
    const sm = /^\s*select\s/.exec(after);
    if (vm)
        values = splitTop(parenBody(after, vm[0].length - 1));
    else if (sm) {
        const list = after.slice(sm[0].length);
        const end = list.search(/\bfrom\b/);
        values = splitTop(end >= 0 ? list.slice(0, end) : list);
    }
    else
        return false;
    const val = /^\$(\d+)(::uuid)?$/.exec(values[i] ?? '');
    return !!val && isOrgParam(Number(val[1]));
}
/** Is this expression the verified context's org id? */
function isContextOrg(expr, checker) {
    const e = ts.isNonNullExpression(expr) ? expr.expression : expr;
    const text = e.getText().replace(/\s+/g, '');
    if (/^this\.db\.context\(\)\.orgId!?$/.test(text))
        return true;
    if (ts.isCallExpression(e) && e.arguments.length === 0 && ts.isPropertyAccessExpression(e.expression)) {
        // a method of the class that returns this.db.context().orgId (e.g. `private org()`)
        const decl = checker.getSymbolAtLocation(e.expression.name)?.declarations?.[0];
        if (decl && ts.isMethodDeclaration(decl) && decl.body) {
            const ret = decl.body.statements.find(ts.isReturnStatement);
            return !!ret?.expression && isContextOrg(ret.expression, checker);
        }
        return false;
    }
    if (ts.isIdentifier(e)) {
        const decl = checker.getSymbolAtLocation(e)?.declarations?.[0];
        if (!decl)
            return false;
        if (ts.isBindingElement(decl)) {
            const prop = (decl.propertyName ?? decl.name).getText();
            const pattern = decl.parent;
            const v = pattern.parent;
            return (prop === 'orgId' &&
                ts.isObjectBindingPattern(pattern) &&
                ts.isVariableDeclaration(v) &&
                !!v.initializer &&
                /^this\.db\.context\(\)$/.test(v.initializer.getText().replace(/\s+/g, '')));
        }
        if (ts.isVariableDeclaration(decl) && decl.initializer && ts.isVariableDeclarationList(decl.parent) && decl.parent.flags & ts.NodeFlags.Const)
            return isContextOrg(decl.initializer, checker);
    }
    return false;
}
/** The statement's text, with constant pieces resolved and other substitutions as a placeholder. */
function sqlTextOf(expr, checker, depth = 0) {
    if (depth > 5)
        return { kind: 'unknown' };
    if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr))
        return { kind: 'text', text: expr.text };
    if (ts.isParenthesizedExpression(expr))
        return sqlTextOf(expr.expression, checker, depth);
    if (ts.isIdentifier(expr)) {
        const decl = checker.getSymbolAtLocation(expr)?.declarations?.[0];
        if (decl && ts.isParameter(decl))
            return { kind: 'param' };
        // a const only: a let may be reassigned to any statement
        if (decl && ts.isVariableDeclaration(decl) && decl.initializer && ts.isVariableDeclarationList(decl.parent) && decl.parent.flags & ts.NodeFlags.Const)
            return sqlTextOf(decl.initializer, checker, depth + 1);
        return { kind: 'unknown' };
    }
    if (ts.isTemplateExpression(expr)) {
        let text = expr.head.text;
        for (const span of expr.templateSpans) {
            const inner = sqlTextOf(span.expression, checker, depth + 1);
            if (inner.kind === 'param')
                return inner;
            // a computed piece (a column list helper, a parameter number, an optional FOR UPDATE) is a placeholder
            text += (inner.kind === 'text' ? inner.text : ' _x_ ') + span.literal.text;
        }
        return { kind: 'text', text };
    }
    if (ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        const l = sqlTextOf(expr.left, checker, depth + 1);
        const r = sqlTextOf(expr.right, checker, depth + 1);
        if (l.kind === 'param' || r.kind === 'param')
            return { kind: 'param' };
        if (l.kind === 'text' && r.kind === 'text')
            return { kind: 'text', text: l.text + r.text };
    }
    return { kind: 'unknown' };
}
export function auditOrgRouting(program, root, tenantTables = TENANT_TABLES) {
    const checker = program.getTypeChecker();
    const tenantContextFile = path.resolve(root, 'src/tenancy/tenant-context.ts');
    const findings = [];
    let checked = 0;
    const isTenantDb = (type) => (type.isUnion() ? type.types : [type]).some((t) => {
        const decl = t.getSymbol()?.declarations?.[0];
        return t.getSymbol()?.getName() === 'TenantDb' && !!decl && path.resolve(decl.getSourceFile().fileName) === tenantContextFile;
    });
    for (const sf of projectFiles(program, root)) {
        const rel = relPath(root, sf.fileName);
        if (!rel.startsWith('src/') || rel === 'src/tenancy/tenant-context.ts')
            continue;
        const visit = (node) => {
            if (ts.isCallExpression(node)) {
                let sqlArg;
                let paramsArg;
                const callee = node.expression;
                if (ts.isPropertyAccessExpression(callee) &&
                    (callee.name.text === 'query' || callee.name.text === 'one') &&
                    isTenantDb(checker.getTypeAtLocation(callee.expression))) {
                    [sqlArg, paramsArg] = node.arguments;
                }
                else {
                    const dbAt = node.arguments.findIndex((a) => isTenantDb(checker.getTypeAtLocation(a)));
                    if (dbAt >= 0) {
                        const rest = node.arguments.slice(dbAt + 1);
                        sqlArg = rest.find((a) => checker.getTypeAtLocation(a).flags & ts.TypeFlags.StringLike);
                        paramsArg = sqlArg ? rest.slice(rest.indexOf(sqlArg) + 1).find(ts.isArrayLiteralExpression) : undefined;
                    }
                }
                if (sqlArg) {
                    const text = sqlTextOf(sqlArg, checker);
                    if (text.kind === 'unknown') {
                        findings.push({
                            audit: 'org-routing',
                            where: locate(root, node),
                            problem: 'SQL run through TenantDb that the audit cannot read statically (not a literal or a constant)',
                            fix: 'pass the statement as a literal or a const in the repository, so the org-routing audit can check it',
                        });
                    }
                    else if (text.kind === 'text') {
                        const params = paramsArg && ts.isArrayLiteralExpression(paramsArg) ? paramsArg.elements : undefined;
                        const isOrgParam = (n) => {
                            const el = params?.[n - 1];
                            return !!el && !ts.isSpreadElement(el) && isContextOrg(el, checker);
                        };
                        const v = checkStatement(text.text, isOrgParam, tenantTables);
                        if (v.tenantTables.length)
                            checked++;
                        if (v.unrouted.length) {
                            const snippet = text.text.replace(/\s+/g, ' ').trim().slice(0, 70);
                            findings.push({
                                audit: 'org-routing',
                                where: locate(root, node),
                                problem: `query on tenant table(s) ${v.unrouted.join(', ')} does not name the context's org ("${snippet}${text.text.length > 70 ? '…' : ''}")`,
                                fix: FIX,
                            });
                        }
                    }
                }
            }
            ts.forEachChild(node, visit);
        };
        visit(sf);
    }
    return { findings, checked };
}
/**
 * With a database: every table with an org_id column is classified in tenant-tables.ts (a new
 * tenant table is then covered by the static check above).
 */
export async function auditTableClassification(databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl, application_name: 'rocker-audit' });
    await client.connect();
    try {
        const { rows } = await client.query(`SELECT DISTINCT c.table_name FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND t.table_type = 'BASE TABLE'
        ORDER BY 1`);
        const known = new Set([...TENANT_TABLES, ...Object.keys(ORG_COLUMN_GLOBAL_TABLES)]);
        return rows
            .filter((r) => !known.has(r.table_name))
            .map((r) => ({
            audit: 'org-routing',
            where: `table public.${r.table_name}`,
            problem: 'has an org_id column but is not classified for org routing',
            fix: 'add it to TENANT_TABLES (distributed by org_id; its queries must name the org) or, with a reason, to ORG_COLUMN_GLOBAL_TABLES in scripts/audit/tenant-tables.ts',
        }));
    }
    finally {
        await client.end();
    }
}
/** `node dist/scripts/audit/check-org-routing.js [--root <dir>]`: the static check alone. */
async function main() {
    const i = process.argv.indexOf('--root');
    const root = path.resolve(i > 0 ? process.argv[i + 1] : process.cwd());
    const r = auditOrgRouting(createAuditProgram(root), root);
    for (const f of r.findings)
        console.log(formatFinding(f));
    console.log(`org-routing audit: ${r.checked} tenant-table statement(s), ${r.findings.length} finding(s)`);
    process.exitCode = r.findings.length ? 1 : 0;
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
    void main();
//# sourceMappingURL=check-org-routing.js.map