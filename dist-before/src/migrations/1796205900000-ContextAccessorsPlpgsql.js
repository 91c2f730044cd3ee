// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
/** The migration owner: it owns the tables (and may rewrite their policies), so its settings are trusted as set. */
const OWNER_ROLE = 'rocker_owner';
/** `<octets>:<text>` per field (VerifiedTenantContext's encoding of the mark's message). */
const field = (e) => `octet_length(coalesce(${e}, ''))::text || ':' || coalesce(${e}, '')`;
/** The transaction's mark, as VerifiedTenantContext computes it (see there for what it binds). */
const MARK = `(SELECT encode(public.hmac(convert_to(${[
    `'rocker-tenant-mark-v1'`,
    `current_setting('app.org_id', true)`,
    `current_setting('app.user_id', true)`,
    `current_setting('app.actor_role', true)`,
    `current_setting('app.request_id', true)`,
    `pg_backend_pid()::text`,
    `(extract(epoch FROM transaction_timestamp()) * 1000000)::bigint::text`,
]
    .map(field)
    .join('\n           || ')}, 'UTF8'), m.secret, 'sha256'), 'hex') FROM public.tenant_context_mark m)`;
/** True when this transaction's settings carry a valid mark (compared as digests: no timing oracle). */
const VERIFIED = `(session_user = '${OWNER_ROLE}'
          OR sha256(convert_to(coalesce(current_setting('app.ctx_mark', true), ''), 'UTF8'))
             = sha256(convert_to(${MARK}, 'UTF8')))`;
const ACCESSORS = [
    ['app_ctx_org', 'uuid', `nullif(current_setting('app.org_id', true), '')::uuid`],
    ['app_ctx_user', 'uuid', `nullif(current_setting('app.user_id', true), '')::uuid`],
    ['app_ctx_actor_role', 'text', `nullif(current_setting('app.actor_role', true), '')`],
    ['app_ctx_request_id', 'text', `nullif(current_setting('app.request_id', true), '')`],
];
/** VerifiedTenantContext's accessor: a SQL function, parsed and planned again by every statement that calls it. */
const accessorSql = (name, returns, expr) => `CREATE OR REPLACE FUNCTION ${name}() RETURNS ${returns}
         LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT CASE WHEN ${VERIFIED} THEN ${expr} END
       $fn$`;
/** The same check and answer in PL/pgSQL, whose expression plan each session caches. */
const accessorPlpgsql = (name, returns, expr) => `CREATE OR REPLACE FUNCTION ${name}() RETURNS ${returns}
         LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         RETURN (SELECT CASE WHEN ${VERIFIED} THEN ${expr} END);
       END
       $fn$`;
/**
 * The verified-context accessors (app_ctx_org(), app_ctx_user(), app_ctx_actor_role(),
 * app_ctx_request_id()) in PL/pgSQL instead of SQL: same owner, grants, search_path, check and
 * answer. A SQL function that cannot be inlined (SECURITY DEFINER, SET) is parsed and planned again
 * each time a statement calls it: 0.33 ms per call against 0.04 ms for the PL/pgSQL body, whose
 * plan the session keeps. Every tenant statement calls one or two of them (an InitPlan per policy
 * expression), so this was most of what the verified context cost a request.
 */
export class ContextAccessorsPlpgsql1796205900000 {
    constructor() {
        this.name = 'ContextAccessorsPlpgsql1796205900000';
    }
    async up(q) {
        for (const [name, returns, expr] of ACCESSORS)
            await q.query(accessorPlpgsql(name, returns, expr));
    }
    async down(q) {
        for (const [name, returns, expr] of ACCESSORS)
            await q.query(accessorSql(name, returns, expr));
    }
}
//# sourceMappingURL=1796205900000-ContextAccessorsPlpgsql.js.map