// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
const AUTH_ROLE = 'rocker_auth';
const DISPATCH_ROLE = 'rocker_dispatch';
/** The migration owner: it owns the tables (and may rewrite their policies), so its settings are trusted as set. */
const OWNER_ROLE = 'rocker_owner';
/** The raw settings every policy read until now, and their verified replacements (once per statement: an InitPlan). */
const CURRENT_ORG_BEFORE = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
const ACTOR_ROLE_BEFORE = `(select nullif(current_setting('app.actor_role', true), ''))`;
const CURRENT_ORG = `(select app_ctx_org())`;
const ACTOR_ROLE = `(select app_ctx_actor_role())`;
/** Tables made by tenantTableSql (one policy per command, each comparing org_id with the org). */
const TENANT_TABLES = [
    'org_members',
    'rocker_threads',
    'rocker_messages',
    'knowledge_items',
    'private_chunks',
    'ingest_jobs',
    'usage_daily',
    'knowledge_blobs',
    'org_invitations',
    'org_audit_log',
    'outbox_events',
];
/** Every policy that read a raw app.* setting, written with `org` / `actor` for the two expressions. */
function policiesSql(org, actor) {
    const cmp = `org_id = ${org}`;
    const superAdmin = `${actor} = 'super_admin'`;
    const pub = `publisher_org_id = ${org} AND ${actor} IN ('owner', 'admin', 'super_admin')`;
    return [
        ...TENANT_TABLES.flatMap((t) => [
            `ALTER POLICY ${t}_select ON ${t} USING (${cmp})`,
            `ALTER POLICY ${t}_insert ON ${t} WITH CHECK (${cmp})`,
            `ALTER POLICY ${t}_update ON ${t} USING (${cmp}) WITH CHECK (${cmp})`,
            `ALTER POLICY ${t}_delete ON ${t} USING (${cmp})`,
        ]),
        `ALTER POLICY org_limits_select ON org_limits USING (${cmp})`,
        `ALTER POLICY org_limits_insert ON org_limits WITH CHECK (${cmp} AND ${superAdmin})`,
        `ALTER POLICY org_limits_update ON org_limits USING (${cmp} AND ${superAdmin}) WITH CHECK (${cmp} AND ${superAdmin})`,
        `ALTER POLICY org_limits_delete ON org_limits USING (${cmp} AND ${superAdmin})`,
        ...['market_listings', 'market_chunks'].flatMap((t) => [
            `ALTER POLICY ${t}_insert ON ${t} WITH CHECK (${pub})`,
            `ALTER POLICY ${t}_update ON ${t} USING (${pub}) WITH CHECK (${pub})`,
            `ALTER POLICY ${t}_delete ON ${t} USING (${pub})`,
        ]),
        `ALTER POLICY feature_flag_overrides_select ON feature_flag_overrides
       USING (${cmp} OR (select flags_actor_is_super_admin()))`,
    ];
}
/** `<octets>:<text>` per field, so that no two field lists concatenate to the same message. */
const field = (e) => `octet_length(coalesce(${e}, ''))::text || ':' || coalesce(${e}, '')`;
/**
 * What the service signs (src/tenancy/context-mac.ts builds the same text): the context, its
 * request id and its expiry (ms since the epoch), under a version tag.
 */
const CONTEXT_MESSAGE = [
    `'rocker-tenant-context-v1'`,
    `p_org_id::text`,
    `p_user_id::text`,
    `p_role`,
    `p_actor_role`,
    `p_request_id`,
    `p_expires_ms::text`,
]
    .map(field)
    .join('\n             || ');
/**
 * The transaction's mark: the settings tenant_begin() made, this backend and this transaction's
 * start, MACed with a secret only rocker_auth reads. A copy is worth nothing in any other
 * transaction (another start, or another backend), and any change to a setting voids it.
 */
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
/** A verified-context accessor: the setting when the mark holds, else NULL (SECURITY DEFINER: it reads the mark secret). */
const accessor = (name, returns, expr) => `CREATE FUNCTION ${name}() RETURNS ${returns}
         LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT CASE WHEN ${VERIFIED} THEN ${expr} END
       $fn$`;
const ACCESSORS = [
    ['app_ctx_org', 'uuid', `nullif(current_setting('app.org_id', true), '')::uuid`],
    ['app_ctx_user', 'uuid', `nullif(current_setting('app.user_id', true), '')::uuid`],
    ['app_ctx_actor_role', 'text', `nullif(current_setting('app.actor_role', true), '')`],
    ['app_ctx_request_id', 'text', `nullif(current_setting('app.request_id', true), '')`],
];
const TENANT_BEGIN = 'tenant_begin(uuid, uuid, text, text, text, bigint, text, bytea)';
const TENANT_BEGIN_OLD = 'tenant_begin(uuid, uuid, text, text, text)';
/** tenant_begin() with a signed context; the membership re-check is the TenantBegin migration's. */
const TENANT_BEGIN_SQL = `CREATE FUNCTION tenant_begin(p_org_id uuid, p_user_id uuid, p_role text, p_actor_role text, p_request_id text,
                                  p_expires_ms bigint, p_key_id text, p_mac bytea)
         RETURNS void
         LANGUAGE plpgsql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       DECLARE
         v_now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
         v_secret bytea;
       BEGIN
         SELECT k.secret INTO v_secret FROM public.tenant_context_keys k WHERE k.key_id = p_key_id;
         IF v_secret IS NULL OR p_mac IS NULL OR p_expires_ms IS NULL
            OR sha256(p_mac) IS DISTINCT FROM sha256(public.hmac(convert_to(
                 ${CONTEXT_MESSAGE}, 'UTF8'), v_secret, 'sha256')) THEN
           RAISE EXCEPTION 'tenant context not signed by a known key' USING ERRCODE = 'RKA02';
         END IF;
         -- a signed context lives for seconds; 15 minutes ahead is a wrong clock or a forgery
         IF p_expires_ms <= v_now_ms OR p_expires_ms > v_now_ms + 900000 THEN
           RAISE EXCEPTION 'tenant context expired' USING ERRCODE = 'RKA02';
         END IF;
         -- the actor role is the org role, super_admin, 'user' (no org role) or 'system' (a job: no user)
         IF NOT coalesce(p_actor_role = 'super_admin'
              OR (p_role IS NOT NULL AND p_org_id IS NOT NULL AND p_actor_role = p_role)
              OR (p_role IS NULL AND p_actor_role = 'user' AND p_user_id IS NOT NULL)
              OR (p_role IS NULL AND p_actor_role = 'system' AND p_user_id IS NULL), false) THEN
           RAISE EXCEPTION 'tenant context inconsistent' USING ERRCODE = 'RKA02';
         END IF;
         IF p_user_id IS NOT NULL AND p_org_id IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM public.users u WHERE u.id = p_user_id AND u.is_super_admin)
            AND NOT EXISTS (
              SELECT 1 FROM public.org_members m
               WHERE m.org_id = p_org_id AND m.user_id = p_user_id AND m.role = p_role) THEN
           RAISE EXCEPTION 'membership changed' USING ERRCODE = 'RKA01';
         END IF;
         IF p_actor_role = 'super_admin' AND NOT EXISTS (
              SELECT 1 FROM public.users u WHERE u.id = p_user_id AND u.is_super_admin) THEN
           RAISE EXCEPTION 'super_admin revoked' USING ERRCODE = 'RKA01';
         END IF;
         PERFORM set_config('app.org_id', coalesce(p_org_id::text, ''), true),
                 set_config('app.user_id', coalesce(p_user_id::text, ''), true),
                 set_config('app.actor_role', coalesce(p_actor_role, ''), true),
                 set_config('app.request_id', coalesce(p_request_id, ''), true);
         PERFORM set_config('app.ctx_mark', ${MARK}, true);
       END
       $fn$`;
// ---- as the earlier migrations wrote them (restored by down(); bodies byte-for-byte)
const TENANT_BEGIN_BEFORE = `CREATE FUNCTION tenant_begin(p_org_id uuid, p_user_id uuid, p_role text, p_actor_role text, p_request_id text)
         RETURNS void
         LANGUAGE plpgsql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         IF p_user_id IS NOT NULL AND p_org_id IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM public.users u WHERE u.id = p_user_id AND u.is_super_admin)
            AND NOT EXISTS (
              SELECT 1 FROM public.org_members m
               WHERE m.org_id = p_org_id AND m.user_id = p_user_id AND m.role = p_role) THEN
           RAISE EXCEPTION 'membership changed' USING ERRCODE = 'RKA01';
         END IF;
         IF p_actor_role = 'super_admin' AND NOT EXISTS (
              SELECT 1 FROM public.users u WHERE u.id = p_user_id AND u.is_super_admin) THEN
           RAISE EXCEPTION 'super_admin revoked' USING ERRCODE = 'RKA01';
         END IF;
         PERFORM set_config('app.org_id', coalesce(p_org_id::text, ''), true),
                 set_config('app.user_id', coalesce(p_user_id::text, ''), true),
                 set_config('app.actor_role', coalesce(p_actor_role, ''), true),
                 set_config('app.request_id', coalesce(p_request_id, ''), true);
       END
       $fn$`;
const FLAGS_ACTOR_BEFORE = `CREATE OR REPLACE FUNCTION flags_actor_is_super_admin() RETURNS boolean
         LANGUAGE sql STABLE
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT coalesce(nullif(current_setting('app.actor_role', true), '') = 'super_admin', false)
            AND EXISTS (SELECT 1 FROM public.users u
                         WHERE u.id = nullif(current_setting('app.user_id', true), '')::uuid
                           AND u.is_super_admin)
       $fn$`;
const SET_DEFAULT_ORG_BEFORE = `CREATE OR REPLACE FUNCTION set_default_org(p_org_id uuid) RETURNS boolean
         LANGUAGE plpgsql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       DECLARE
         v_user uuid := nullif(current_setting('app.user_id', true), '')::uuid;
       BEGIN
         IF v_user IS NULL OR p_org_id IS NULL OR NOT EXISTS (
              SELECT 1 FROM public.org_members m WHERE m.org_id = p_org_id AND m.user_id = v_user) THEN
           RETURN false;
         END IF;
         UPDATE public.users SET default_org_id = p_org_id WHERE id = v_user;
         RETURN true;
       END
       $fn$`;
const INVITATION_ACCEPT_BEFORE = `CREATE OR REPLACE FUNCTION invitation_accept(p_org_id uuid, p_id uuid, p_secret bytea, p_email text)
         RETURNS TABLE (org_id uuid, role text)
         LANGUAGE plpgsql VOLATILE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       DECLARE
         v_user uuid := nullif(current_setting('app.user_id', true), '')::uuid;
         v_inv public.org_invitations%ROWTYPE;
         v_email text;
         v_new boolean := false;
       BEGIN
         SELECT * INTO v_inv FROM public.org_invitations i
          WHERE i.org_id = p_org_id AND i.id = p_id AND i.token_hash = sha256(p_secret)
          FOR UPDATE;
         IF NOT FOUND OR v_user IS NULL THEN
           RAISE EXCEPTION 'invitation not found' USING ERRCODE = 'RKI04';
         END IF;
         SELECT u.email INTO v_email FROM public.users u WHERE u.id = v_user;
         IF NOT FOUND THEN
           -- a user the platform has not seen yet: the token's verified e-mail claim, unless an
           -- account already holds that e-mail (then this token is not that account's)
           v_email := lower(p_email);
           v_new := true;
           IF v_email IS NULL OR EXISTS (SELECT 1 FROM public.users u WHERE u.email = v_email) THEN
             RAISE EXCEPTION 'invitation not found' USING ERRCODE = 'RKI04';
           END IF;
         END IF;
         -- Anyone but the invited e-mail learns nothing, not even the invitation's state.
         IF v_email IS DISTINCT FROM v_inv.email THEN
           RAISE EXCEPTION 'invitation not found' USING ERRCODE = 'RKI04';
         END IF;
         IF v_inv.accepted_at IS NOT NULL THEN
           RAISE EXCEPTION 'invitation already accepted' USING ERRCODE = 'RKI09';
         END IF;
         IF v_inv.revoked_at IS NOT NULL OR v_inv.expires_at <= now() THEN
           RAISE EXCEPTION 'invitation revoked or expired' USING ERRCODE = 'RKI10';
         END IF;
         IF v_new THEN
           INSERT INTO public.users (id, email) VALUES (v_user, v_email);
         ELSIF EXISTS (SELECT 1 FROM public.org_members m WHERE m.org_id = v_inv.org_id AND m.user_id = v_user) THEN
           RAISE EXCEPTION 'already a member' USING ERRCODE = 'RKI09';
         END IF;
         INSERT INTO public.org_members (org_id, user_id, role) VALUES (v_inv.org_id, v_user, v_inv.role);
         UPDATE public.org_invitations i SET accepted_at = now(), accepted_by = v_user
          WHERE i.org_id = v_inv.org_id AND i.id = v_inv.id;
         RETURN QUERY SELECT v_inv.org_id, v_inv.role;
       END
       $fn$`;
const RAW_USER = `nullif(current_setting('app.user_id', true), '')::uuid`;
/** The same function reading the verified user instead of the raw setting (the body is otherwise unchanged). */
function verifiedUser(sql) {
    if (!sql.includes(RAW_USER))
        throw new Error('VerifiedTenantContext: a frozen body lost its app.user_id read');
    return sql.split(RAW_USER).join('public.app_ctx_user()');
}
const FLAGS_ACTOR = `CREATE OR REPLACE FUNCTION flags_actor_is_super_admin() RETURNS boolean
         LANGUAGE sql STABLE
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT coalesce(public.app_ctx_actor_role() = 'super_admin', false)
            AND EXISTS (SELECT 1 FROM public.users u
                         WHERE u.id = public.app_ctx_user()
                           AND u.is_super_admin)
       $fn$`;
/**
 * A tenant context that an SQL injection cannot mint (issue 16).
 *
 * Before: every policy read app.org_id / app.actor_role as set, so `set_config` alone, as the app
 * role, read any org and wrote flags and limits as a super_admin; and tenant_begin() set whatever
 * context it was handed.
 *
 * - tenant_context_keys (owned by rocker_auth, no grant to anyone): the verification keys, by id.
 *   The service signs each context with one of them (TENANT_CONTEXT_KEYS, its environment);
 *   `npm run context-keys` installs them. Two or more may be valid at once (rotation).
 * - tenant_begin(org, user, role, actor, request id, expiry ms, key id, mac): refuses (RKA02) a
 *   context without a valid, unexpired HMAC-SHA256, or whose actor role does not fit its role;
 *   re-checks the membership as before (RKA01); sets the app.* settings and app.ctx_mark, a MAC over
 *   those settings, the backend pid and the transaction start under a secret generated here
 *   (tenant_context_mark, rocker_auth only). The unsigned 5-argument tenant_begin() is gone.
 * - app_ctx_org(), app_ctx_user(), app_ctx_actor_role(), app_ctx_request_id(): SECURITY DEFINER
 *   STABLE; the setting when the mark holds for this transaction, else NULL. Policies call them as
 *   `(select app_ctx_org())`: an InitPlan, once per statement. The migration owner's own settings
 *   are trusted as set (it owns the tables and could rewrite the policies anyway): fixtures,
 *   seeds, maintenance.
 * - Every policy that read a raw setting now reads the verified one; so do flags_actor_is_super_admin(),
 *   set_default_org() and invitation_accept(). The audit triggers keep reading app.user_id: they run
 *   only for writes that passed a verified policy, where the raw and verified settings agree.
 */
export class VerifiedTenantContext1796205600000 {
    constructor() {
        this.name = 'VerifiedTenantContext1796205600000';
    }
    async up(q) {
        const sql = [
            `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto') THEN
           RAISE EXCEPTION 'extension "pgcrypto" is missing: run scripts/setup.sh';
         END IF;
       END $$`,
            `CREATE TABLE tenant_context_keys (
         key_id text PRIMARY KEY CHECK (key_id ~ '^[A-Za-z0-9_-]{1,32}$'),
         secret bytea NOT NULL CHECK (octet_length(secret) >= 32),
         created_at timestamptz NOT NULL DEFAULT clock_timestamp()
       )`,
            `CREATE TABLE tenant_context_mark (
         singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
         secret bytea NOT NULL CHECK (octet_length(secret) >= 32)
       )`,
            `INSERT INTO tenant_context_mark (secret) VALUES (public.gen_random_bytes(32))`,
            `REVOKE ALL ON tenant_context_keys, tenant_context_mark FROM PUBLIC`,
            `ALTER TABLE tenant_context_keys OWNER TO ${AUTH_ROLE}`,
            `ALTER TABLE tenant_context_mark OWNER TO ${AUTH_ROLE}`,
            ...ACCESSORS.flatMap(([name, returns, expr]) => [
                accessor(name, returns, expr),
                `ALTER FUNCTION ${name}() OWNER TO ${AUTH_ROLE}`,
                `REVOKE ALL ON FUNCTION ${name}() FROM PUBLIC`,
                // the dispatcher's functions read tenant tables too, whose policies call these
                `GRANT EXECUTE ON FUNCTION ${name}() TO ${APP_ROLE}, ${DISPATCH_ROLE}`,
            ]),
            `DROP FUNCTION ${TENANT_BEGIN_OLD}`,
            TENANT_BEGIN_SQL,
            `ALTER FUNCTION ${TENANT_BEGIN} OWNER TO ${AUTH_ROLE}`,
            `REVOKE ALL ON FUNCTION ${TENANT_BEGIN} FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION ${TENANT_BEGIN} TO ${APP_ROLE}`,
            FLAGS_ACTOR,
            verifiedUser(SET_DEFAULT_ORG_BEFORE),
            verifiedUser(INVITATION_ACCEPT_BEFORE),
            ...policiesSql(CURRENT_ORG, ACTOR_ROLE),
        ];
        for (const s of sql)
            await q.query(s);
    }
    async down(q) {
        const sql = [
            ...policiesSql(CURRENT_ORG_BEFORE, ACTOR_ROLE_BEFORE),
            INVITATION_ACCEPT_BEFORE,
            SET_DEFAULT_ORG_BEFORE,
            FLAGS_ACTOR_BEFORE,
            `DROP FUNCTION ${TENANT_BEGIN}`,
            TENANT_BEGIN_BEFORE,
            `ALTER FUNCTION ${TENANT_BEGIN_OLD} OWNER TO ${AUTH_ROLE}`,
            `REVOKE ALL ON FUNCTION ${TENANT_BEGIN_OLD} FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION ${TENANT_BEGIN_OLD} TO ${APP_ROLE}`,
            ...ACCESSORS.map(([name]) => `DROP FUNCTION ${name}()`),
            `DROP TABLE tenant_context_mark, tenant_context_keys`,
        ];
        for (const s of sql)
            await q.query(s);
    }
}
//# sourceMappingURL=1796205600000-VerifiedTenantContext.js.map