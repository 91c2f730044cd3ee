import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { formatFinding } from './findings.js';
import { GLOBAL_GUARDS, MUTATING, PUBLIC_ROUTES, REVIEWED_ROUTE_GUARDS, ROLE_RULES, pathMatches, } from './route-policy.js';
import { createAuditProgram, inPackage, inProject, locate, projectFiles, resolveSymbol } from './source.js';
export const DEFAULT_ROUTE_POLICY = {
    publicRoutes: PUBLIC_ROUTES,
    reviewedGuards: REVIEWED_ROUTE_GUARDS,
    roleRules: ROLE_RULES,
    globalGuards: GLOBAL_GUARDS,
};
const HTTP_DECORATORS = {
    Get: 'GET',
    Post: 'POST',
    Put: 'PUT',
    Patch: 'PATCH',
    Delete: 'DELETE',
    Options: 'OPTIONS',
    Head: 'HEAD',
    All: 'ALL',
    Search: 'SEARCH',
};
const REQUEST_METHOD = {
    GET: 'GET',
    POST: 'POST',
    PUT: 'PUT',
    PATCH: 'PATCH',
    DELETE: 'DELETE',
    OPTIONS: 'OPTIONS',
    HEAD: 'HEAD',
    ALL: 'ALL',
    SEARCH: 'SEARCH',
};
/** Metadata keys of src/common/decorators/auth.decorators.ts, for SetMetadata used directly. */
const AUTH_KEYS = {
    'rocker:public': 'public',
    'rocker:role': 'roles',
    'rocker:super-admin': 'superAdmin',
    'rocker:no-org': 'noOrg',
    'rocker:no-transaction': 'noTransaction',
};
export function auditRoutes(program, root, policy = DEFAULT_ROUTE_POLICY) {
    const checker = program.getTypeChecker();
    const authFile = path.resolve(root, 'src/common/decorators/auth.decorators.ts');
    const findings = [];
    const routes = [];
    const seen = new Set();
    const add = (f) => {
        const key = `${f.where}|${f.problem}`;
        if (!seen.has(key)) {
            seen.add(key);
            findings.push({ audit: 'routes', ...f });
        }
    };
    /** Constant string values of an expression: a literal, an array of them, or a const typed as one. */
    const strings = (expr) => {
        if (!expr)
            return [''];
        if (ts.isStringLiteralLike(expr))
            return [expr.text];
        if (ts.isArrayLiteralExpression(expr)) {
            const parts = expr.elements.map((e) => strings(e));
            return parts.every((p) => p && p.length === 1) ? parts.map((p) => p[0]) : undefined;
        }
        if (ts.isObjectLiteralExpression(expr)) {
            const p = expr.properties.find((x) => ts.isPropertyAssignment(x) && x.name.getText() === 'path');
            return p ? strings(p.initializer) : [''];
        }
        const type = checker.getTypeAtLocation(expr);
        if (type.isStringLiteral())
            return [type.value];
        return undefined;
    };
    const classify = (expr, depth, inComposite) => {
        const call = ts.isCallExpression(expr) ? expr : undefined;
        const callee = call ? call.expression : expr;
        const nameNode = ts.isPropertyAccessExpression(callee) ? callee.name : callee;
        const target = resolveSymbol(checker, nameNode);
        const name = target?.name ?? (ts.isIdentifier(nameNode) ? nameNode.text : nameNode.getText());
        const file = target?.file;
        const nest = !file || inPackage(file, '@nestjs/common');
        const args = call?.arguments ?? ts.factory.createNodeArray();
        if (nest && HTTP_DECORATORS[name])
            return [{ kind: 'http', method: HTTP_DECORATORS[name], paths: strings(args[0]) }];
        if (nest && name === 'RequestMapping') {
            const opts = args[0];
            let method = 'GET';
            if (opts && ts.isObjectLiteralExpression(opts)) {
                const m = opts.properties.find((x) => ts.isPropertyAssignment(x) && x.name.getText() === 'method');
                if (m)
                    method = REQUEST_METHOD[m.initializer.getText().split('.').pop() ?? ''] ?? 'ALL';
            }
            return [{ kind: 'http', method, paths: strings(opts) }];
        }
        if (nest && name === 'Controller')
            return [{ kind: 'controller', paths: strings(args[0]) }];
        if (nest && name === 'UseGuards') {
            return [
                {
                    kind: 'guards',
                    guards: args.map((a) => (ts.isNewExpression(a) ? a.expression.getText() : a.getText())),
                    via: '@UseGuards',
                },
            ];
        }
        if (nest && name === 'SetMetadata') {
            const key = strings(args[0])?.[0];
            const kind = key ? AUTH_KEYS[key] : undefined;
            if (kind === 'public')
                return [{ kind: 'public', via: `SetMetadata('${key}')` }];
            if (kind === 'roles')
                return [{ kind: 'roles', role: strings(args[1])?.[0] }];
            if (kind === 'superAdmin' || kind === 'noOrg' || kind === 'noTransaction')
                return [{ kind }];
            return [];
        }
        if (nest && name === 'applyDecorators') {
            return inComposite ? [] : args.flatMap((a) => classify(a, depth + 1, false));
        }
        if (file === authFile) {
            switch (name) {
                case 'Public':
                    return [{ kind: 'public', via: '@Public()' }];
                case 'Roles':
                    return [{ kind: 'roles', role: strings(args[0])?.[0] }];
                case 'SuperAdmin':
                    return [{ kind: 'superAdmin' }];
                case 'NoOrg':
                    return [{ kind: 'noOrg' }];
                case 'NoTransaction':
                    return [{ kind: 'noTransaction' }];
                default:
                    return [];
            }
        }
        // A decorator of our own: whatever it composes counts as if written here.
        if (target && file && inProject(root, file) && depth < 4) {
            const body = ts.isVariableDeclaration(target.decl) ? target.decl.initializer : target.decl;
            const out = [];
            const walk = (n) => {
                if (ts.isCallExpression(n)) {
                    for (const e of classify(n, depth + 1, true)) {
                        out.push('via' in e ? { ...e, via: `@${name}() (${e.via})` } : e);
                    }
                }
                ts.forEachChild(n, walk);
            };
            if (body)
                walk(body);
            return out;
        }
        return [];
    };
    const effectsOf = (node) => (ts.getDecorators(node) ?? []).flatMap((d) => classify(d.expression, 0, false).map((effect) => ({ effect, node: d })));
    const joinPath = (a, b) => {
        const parts = [a, b].flatMap((x) => x.split('/')).filter(Boolean);
        return '/' + parts.join('/');
    };
    const reviewedGuards = new Set(policy.reviewedGuards.map((g) => g.guard));
    const appGuards = new Set();
    let appGuardWhere;
    for (const sf of projectFiles(program, root)) {
        const visit = (node) => {
            if (ts.isObjectLiteralExpression(node))
                collectAppGuard(node);
            if (ts.isClassDeclaration(node))
                auditClass(node);
            ts.forEachChild(node, visit);
        };
        const collectAppGuard = (obj) => {
            const prop = (n) => obj.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === n)?.initializer;
            const provide = prop('provide');
            // useExisting: the guard is a provider of its own (the onRequest hook runs the same instance)
            const useClass = prop('useClass') ?? prop('useExisting');
            if (!provide || !useClass)
                return;
            const token = resolveSymbol(checker, provide);
            if ((token?.name ?? provide.getText()) !== 'APP_GUARD')
                return;
            appGuards.add(resolveSymbol(checker, useClass)?.name ?? useClass.getText());
            appGuardWhere ??= locate(root, obj);
        };
        const auditClass = (cls) => {
            const classEffects = effectsOf(cls);
            const ctrl = classEffects.find((l) => l.effect.kind === 'controller');
            if (!ctrl || ctrl.effect.kind !== 'controller')
                return;
            const className = cls.name?.text ?? '(anonymous)';
            const ctrlPaths = ctrl.effect.paths;
            if (!ctrlPaths) {
                add({
                    where: locate(root, ctrl.node),
                    problem: `${className}: the @Controller path is not a constant string, so its routes cannot be reviewed`,
                    fix: 'use a string literal (or a const string) for the controller path',
                });
            }
            for (const l of classEffects) {
                if (l.effect.kind === 'guards')
                    guardFindings(l, `controller ${className} (every route)`);
            }
            for (const member of cls.members) {
                if (!ts.isMethodDeclaration(member))
                    continue;
                const methodEffects = effectsOf(member);
                const https = methodEffects.filter((l) => l.effect.kind === 'http');
                if (https.length === 0)
                    continue;
                const handler = `${className}.${member.name.getText()}`;
                for (const l of methodEffects)
                    if (l.effect.kind === 'guards')
                        guardFindings(l, `route ${handler}`);
                const pick = (kind) => methodEffects.find((l) => l.effect.kind === kind) ??
                    classEffects.find((l) => l.effect.kind === kind);
                const pub = pick('public');
                const roles = pick('roles');
                const role = roles?.effect.kind === 'roles' ? (roles.effect.role ?? '?') : undefined;
                const superAdmin = !!pick('superAdmin');
                const noOrg = !!pick('noOrg');
                const noTransaction = !!pick('noTransaction');
                const guards = [...classEffects, ...methodEffects].flatMap((l) => l.effect.kind === 'guards' ? l.effect.guards : []);
                for (const h of https) {
                    if (h.effect.kind !== 'http')
                        continue;
                    if (!h.effect.paths) {
                        add({
                            where: locate(root, h.node),
                            problem: `${handler}: the route path is not a constant string, so the route cannot be reviewed`,
                            fix: 'use a string literal (or a const string) for the route path',
                        });
                    }
                    for (const cp of ctrlPaths ?? ['?']) {
                        for (const rp of h.effect.paths ?? ['?']) {
                            const route = {
                                method: h.effect.method,
                                path: joinPath(cp, rp),
                                protection: '',
                                handler,
                                where: locate(root, member.name),
                                isPublic: !!pub,
                                role,
                                superAdmin,
                                noOrg,
                                noTransaction,
                                guards,
                            };
                            route.protection = protectionOf(route);
                            routes.push(route);
                            checkRoute(route, pub);
                        }
                    }
                }
            }
        };
        visit(sf);
    }
    function guardFindings(l, scope) {
        if (l.effect.kind !== 'guards')
            return;
        for (const g of l.effect.guards) {
            if (reviewedGuards.has(g))
                continue;
            add({
                where: locate(root, l.node),
                problem: `${l.effect.via} attaches guard ${g} to ${scope}, outside the reviewed global chain (TenantGuard → RolesGuard → SuperAdminGuard)`,
                fix: 'remove it and express the rule with @Roles(...), @SuperAdmin() or @NoOrg(); if the guard only adds a check (never grants access or changes the tenant), add it to REVIEWED_ROUTE_GUARDS in scripts/audit/route-policy.ts with a reason, for security review',
            });
        }
    }
    function checkRoute(route, pub) {
        const label = `${route.method} ${route.path}`;
        if (pub && pub.effect.kind === 'public') {
            const allowed = policy.publicRoutes.some((p) => pathMatches(p.pattern, route.path) &&
                (p.methods.includes(route.method) || p.methods.includes('ALL')));
            if (!allowed) {
                add({
                    where: locate(root, pub.node),
                    problem: `${label} (${route.handler}) is public via ${pub.effect.via}: no token, no org, no tenant transaction; it is not on the reviewed public allowlist`,
                    fix: 'remove @Public(): routes need a tenant token by default (@NoOrg() for a token without an org); only health, metrics and docs are public — a new public route needs an entry in PUBLIC_ROUTES in scripts/audit/route-policy.ts with a reason, after security review',
                });
            }
        }
        for (const rule of policy.roleRules) {
            if (!pathMatches(rule.pattern, route.path))
                continue;
            if (rule.except?.some((e) => e.path === route.path))
                continue;
            if (!rule.methods.includes(route.method) &&
                !(route.method === 'ALL' && rule.methods.some((m) => MUTATING.includes(m))))
                continue;
            if ('superAdmin' in rule.require) {
                if (!route.superAdmin || route.isPublic) {
                    add({
                        where: route.where,
                        problem: `${label} (${route.handler}) is a platform-admin route (${rule.reason}) without @SuperAdmin()`,
                        fix: 'add @SuperAdmin() to the route or its controller (super_admin is read from the database by the global guard)',
                    });
                }
            }
            else {
                const rank = { viewer: 1, member: 2, admin: 3, owner: 4 };
                const ok = !route.isPublic &&
                    (route.superAdmin ||
                        (route.role !== undefined && (rank[route.role] ?? 0) >= rank[rule.require.minRole]));
                if (!ok) {
                    add({
                        where: route.where,
                        problem: `${label} (${route.handler}) needs @Roles('${rule.require.minRole}') or higher (${rule.reason}); it has ${route.role ? `@Roles('${route.role}')` : 'no @Roles'}`,
                        fix: `add @Roles('${rule.require.minRole}') to the route (or its controller)`,
                    });
                }
            }
        }
    }
    for (const g of policy.globalGuards) {
        if (!appGuards.has(g)) {
            add({
                where: appGuardWhere ?? 'src/app.module.ts',
                problem: `global guard ${g} is not registered as APP_GUARD: routes would run without it`,
                fix: `register { provide: APP_GUARD, useClass: ${g} } in AppModule (src/app.module.ts)`,
            });
        }
    }
    routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    return { routes, findings };
}
export function protectionOf(r) {
    if (r.isPublic)
        return 'public';
    const parts = [];
    if (r.superAdmin)
        parts.push('super_admin');
    if (r.role)
        parts.push(`roles:${r.role}`);
    if (r.noOrg)
        parts.push('no-org');
    return parts.length ? parts.join(' + ') : 'tenant';
}
/** The route table: the security review's map of the API. */
export function formatRouteTable(routes) {
    const rows = [
        ['METHOD', 'PATH', 'PROTECTION', 'NOTES', 'HANDLER', 'WHERE'],
        ...routes.map((r) => [
            r.method,
            r.path,
            r.protection,
            [r.noTransaction ? 'no-tx' : '', r.guards.length ? `guards:${r.guards.join(',')}` : '']
                .filter(Boolean)
                .join(' ') || '-',
            r.handler,
            r.where,
        ]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    return rows
        .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  '))
        .join('\n');
}
/** `node dist/scripts/audit/check-tenant-guards.js [--root <dir>]`: this audit alone. */
async function main() {
    const i = process.argv.indexOf('--root');
    const root = path.resolve(i > 0 ? process.argv[i + 1] : process.cwd());
    const { routes, findings } = auditRoutes(createAuditProgram(root), root);
    console.log(formatRouteTable(routes));
    for (const f of findings)
        console.log(formatFinding(f));
    console.log(`route audit: ${routes.length} routes, ${findings.length} finding(s)`);
    process.exitCode = findings.length ? 1 : 0;
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
    void main();
//# sourceMappingURL=check-tenant-guards.js.map