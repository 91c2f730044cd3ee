/**
 * The reviewed route policy read by check-tenant-guards. Every change here is a security review:
 * keep the lists short and give each entry its reason.
 *
 * Patterns match whole paths segment by segment: `*` is one segment, `**` any number (even none);
 * `:param` segments of a route are matched like any other segment.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'SEARCH' | 'ALL';
export const MUTATING: HttpMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE', 'ALL'];

export interface PublicRoute {
  pattern: string;
  methods: HttpMethod[];
  reason: string;
}

/** The only routes that may be @Public() (no token, no org, no tenant transaction). */
export const PUBLIC_ROUTES: PublicRoute[] = [
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

export interface ReviewedGuard {
  guard: string;
  reason: string;
}

/**
 * Guards that may be attached with @UseGuards. Global guards (TenantGuard, RolesGuard,
 * SuperAdminGuard) already run on every route; a route guard may only ADD a check, never grant
 * access or change the tenant.
 */
export const REVIEWED_ROUTE_GUARDS: ReviewedGuard[] = [
  {
    guard: 'FeatureFlagGuard',
    reason:
      '@RequireFlag(key): runs after the global chain and only refuses (404, like an unknown route) when the flag is off ' +
      'for the tenant the global guards set; reads the tenant, never sets it (src/modules/flags/require-flag.decorator.ts)',
  },
];

export type Requirement = { superAdmin: true } | { minRole: 'admin' | 'owner' };

export interface RoleRule {
  pattern: string;
  methods: HttpMethod[];
  require: Requirement;
  reason: string;
  /** Paths the pattern matches that the rule does not cover, each with its reason. */
  except?: { path: string; reason: string }[];
}

/** Routes that need more than a member of the org (SPEC §2 and §5). */
export const ROLE_RULES: RoleRule[] = [
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
export function pathMatches(pattern: string, path: string): boolean {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === s.length;
    if (p[i] === '**') return match(i + 1, j) || (j < s.length && match(i, j + 1));
    if (j === s.length) return false;
    return (p[i] === '*' || p[i] === s[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}
