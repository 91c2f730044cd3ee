/**
 * The reviewed route policy read by check-tenant-guards. Every change here is a security review:
 * keep the lists short and give each entry its reason.
 *
 * Patterns match whole paths segment by segment: `*` is one segment, `**` any number (even none);
 * `:param` segments of a route are matched like any other segment.
 */
export const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE', 'ALL'];
/** The only routes that may be @Public() (no token, no org, no tenant transaction). */
export const PUBLIC_ROUTES = [
    {
        pattern: '/health/*',
        methods: ['GET', 'HEAD'],
        reason: 'liveness/readiness probes of the orchestrator; answer up/down only',
    },
    {
        pattern: '/metrics',
        methods: ['GET'],
        reason: 'Prometheus scrape; protected by its own bearer token (METRICS_TOKEN), not a user token',
    },
    { pattern: '/docs', methods: ['GET'], reason: 'OpenAPI UI; describes the API, serves no data' },
    { pattern: '/docs/**', methods: ['GET'], reason: 'OpenAPI JSON and UI assets' },
];
/**
 * Guards that may be attached with @UseGuards. Global guards (TenantGuard, RolesGuard,
 * SuperAdminGuard) already run on every route; a route guard may only ADD a check, never grant
 * access or change the tenant.
 */
export const REVIEWED_ROUTE_GUARDS = [
    {
        guard: 'FeatureFlagGuard',
        reason: '@RequireFlag(key): runs after the global chain and only refuses (404, like an unknown route) when the flag is off ' +
            'for the tenant the global guards set; reads the tenant, never sets it (src/modules/flags/require-flag.decorator.ts)',
    },
];
/** Routes that need more than a member of the org (SPEC §2 and §5). */
export const ROLE_RULES = [
    {
        pattern: '/v1/admin/**',
        methods: MUTATING,
        require: { superAdmin: true },
        reason: 'platform administration: flags, per-org limits',
    },
    {
        pattern: '/v1/org/members',
        methods: ['GET', ...MUTATING],
        require: { minRole: 'admin' },
        reason: 'membership management is admin+',
    },
    {
        pattern: '/v1/org/members/**',
        methods: ['GET', ...MUTATING],
        require: { minRole: 'admin' },
        reason: 'membership management is admin+',
        except: [
            {
                path: '/v1/org/members/me',
                reason: 'any member may leave (the last owner cannot: a database trigger)',
            },
        ],
    },
    {
        pattern: '/v1/org/invitations/**',
        methods: ['GET', ...MUTATING],
        require: { minRole: 'admin' },
        reason: 'inviting is admin+ (only an owner invites an owner: checked in the service)',
    },
    {
        pattern: '/v1/knowledge/*/publish',
        methods: MUTATING,
        require: { minRole: 'admin' },
        reason: 'publishing to the marketplace is admin+',
    },
    {
        pattern: '/v1/market/listings/**',
        methods: ['DELETE', 'ALL'],
        require: { minRole: 'admin' },
        reason: "withdrawing a listing is the publishing org's admin",
    },
];
/** The global guards every route must pass, registered as APP_GUARD. */
export const GLOBAL_GUARDS = ['TenantGuard', 'RolesGuard', 'SuperAdminGuard'];
/** Does a route path match a pattern (see the top of this file)? */
export function pathMatches(pattern, path) {
    const p = pattern.split('/').filter(Boolean);
    const s = path.split('/').filter(Boolean);
    const match = (i, j) => {
        if (i === p.length)
            return j === s.length;
        if (p[i] === '**')
            return match(i + 1, j) || (j < s.length && match(i, j + 1));
        if (j === s.length)
            return false;
        return (p[i] === '*' || p[i] === s[j]) && match(i + 1, j + 1);
    };
    return match(0, 0);
}
//# sourceMappingURL=route-policy.js.map