// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
const AUTH_ROLE = 'rocker_auth';
/** The transaction's org (`app.org_id`; '' reads as NULL), evaluated once per statement (an InitPlan). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/** ENABLE + FORCE row-level security and one policy per command, all comparing org_id. */
function tenantTableSql(table, grants = 'SELECT, INSERT, UPDATE, DELETE') {
    const cmp = `org_id = ${CURRENT_ORG}`;
    return [
        `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
        `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
        `CREATE POLICY ${table}_select ON ${table} FOR SELECT USING (${cmp})`,
        `CREATE POLICY ${table}_insert ON ${table} FOR INSERT WITH CHECK (${cmp})`,
        `CREATE POLICY ${table}_update ON ${table} FOR UPDATE USING (${cmp}) WITH CHECK (${cmp})`,
        `CREATE POLICY ${table}_delete ON ${table} FOR DELETE USING (${cmp})`,
        `GRANT ${grants} ON ${table} TO ${APP_ROLE}`,
    ];
}
/** auth_context() as the Foundation migration made it (restored by down()). */
const AUTH_CONTEXT_BEFORE = `CREATE OR REPLACE FUNCTION auth_context(p_user_id uuid)
         RETURNS TABLE (user_id uuid, is_super_admin boolean, org_id uuid, role text)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT u.id, u.is_super_admin, m.org_id, m.role
           FROM public.users u
           LEFT JOIN public.org_members m ON m.user_id = u.id
          WHERE u.id = p_user_id
       $fn$`;
/**
 * Membership by consent (SPEC §2): invitations, the org audit log, a generic outbox, the default
 * org, and the last-owner invariant held by the database.
 *
 * - org_invitations (tenant table): an admin invites an e-mail with a role. The token handed to the
 *   invitee is (org_id, id, secret); only sha256(secret) is stored.
 * - invitation_accept(): the one door across orgs for the invitee, who is not a member yet. SECURITY
 *   DEFINER owned by rocker_auth (NOLOGIN); it answers only for the invitation whose secret it is
 *   given, only to the user the tenant transaction names (app.user_id, set by tenant_begin()), and
 *   only when that user's account e-mail (or, for a user not seen before, the token's e-mail claim)
 *   is the invited one. It returns the org and role, nothing else.
 * - set_default_org(): the caller's default org, only an org they belong to.
 * - auth_context() now lists the default org's membership first, then the oldest: the guard's
 *   fallback when a request names no org.
 * - org_keep_an_owner(): refuses an update or delete that would leave an org without an owner. It
 *   locks the org row first, so owner changes of one org run one at a time and each counts the
 *   owners committed before it (READ COMMITTED takes a new snapshot per statement; SERIALIZABLE
 *   aborts the write skew). REPEATABLE READ would count from a stale snapshot: refused there.
 * - org_audit_log (tenant table, append-only): every membership and invitation row change, with the
 *   actor (app.user_id), before and after (never the token hash), written by a trigger the app role
 *   cannot bypass; the app role may only read its org's rows.
 * - outbox_events (tenant table): events written in the transaction of the change that caused
 *   them (invitation.created), for a mailer or any other consumer to pick up.
 */
export class OrgInvitations1796195199478 {
    constructor() {
        this.name = 'OrgInvitations1796195199478';
    }
    async up(q) {
        for (const s of [
            // ---- default org
            `ALTER TABLE users ADD COLUMN default_org_id uuid REFERENCES orgs(id) ON DELETE SET NULL`,
            `CREATE TRIGGER users_default_org_change AFTER UPDATE OF default_org_id ON users
         FOR EACH ROW EXECUTE FUNCTION notify_auth_change()`,
            `CREATE OR REPLACE FUNCTION auth_context(p_user_id uuid)
         RETURNS TABLE (user_id uuid, is_super_admin boolean, org_id uuid, role text)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT u.id, u.is_super_admin, m.org_id, m.role
           FROM public.users u
           LEFT JOIN public.org_members m ON m.user_id = u.id
          WHERE u.id = p_user_id
          ORDER BY (m.org_id IS NOT DISTINCT FROM u.default_org_id) DESC, m.created_at, m.org_id
       $fn$`,
            `GRANT UPDATE (default_org_id) ON users TO ${AUTH_ROLE}`,
            `CREATE FUNCTION set_default_org(p_org_id uuid) RETURNS boolean
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
       $fn$`,
            `ALTER FUNCTION set_default_org(uuid) OWNER TO ${AUTH_ROLE}`,
            `REVOKE ALL ON FUNCTION set_default_org(uuid) FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION set_default_org(uuid) TO ${APP_ROLE}`,
            // ---- invitations
            `CREATE TABLE org_invitations (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1 AND length(email) <= 320),
         role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
         token_hash bytea NOT NULL CHECK (length(token_hash) = 32),
         invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
         expires_at timestamptz NOT NULL,
         accepted_at timestamptz,
         accepted_by uuid REFERENCES users(id) ON DELETE SET NULL,
         revoked_at timestamptz,
         revoked_by uuid REFERENCES users(id) ON DELETE SET NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, id),
         CHECK (accepted_at IS NULL OR revoked_at IS NULL)
       )`,
            `CREATE INDEX org_invitations_page_idx ON org_invitations (org_id, created_at DESC, id DESC)`,
            ...tenantTableSql('org_invitations'),
            `CREATE FUNCTION invitation_accept(p_org_id uuid, p_id uuid, p_secret bytea, p_email text)
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
       $fn$`,
            `GRANT SELECT, UPDATE (accepted_at, accepted_by) ON org_invitations TO ${AUTH_ROLE}`,
            `GRANT INSERT (org_id, user_id, role) ON org_members TO ${AUTH_ROLE}`,
            `GRANT INSERT (id, email) ON users TO ${AUTH_ROLE}`,
            `ALTER FUNCTION invitation_accept(uuid, uuid, bytea, text) OWNER TO ${AUTH_ROLE}`,
            `REVOKE ALL ON FUNCTION invitation_accept(uuid, uuid, bytea, text) FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION invitation_accept(uuid, uuid, bytea, text) TO ${APP_ROLE}`,
            // ---- every org keeps at least one owner
            `CREATE FUNCTION org_keep_an_owner() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         IF OLD.role <> 'owner' OR (TG_OP = 'UPDATE' AND NEW.role = 'owner'
              AND NEW.org_id = OLD.org_id AND NEW.user_id = OLD.user_id) THEN
           RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
         END IF;
         IF current_setting('transaction_isolation') = 'repeatable read' THEN
           RAISE EXCEPTION 'owner changes run in READ COMMITTED or SERIALIZABLE transactions' USING ERRCODE = '25001';
         END IF;
         -- One owner change per org at a time. The org row gone (an org being deleted): no check.
         PERFORM 1 FROM public.orgs o WHERE o.id = OLD.org_id FOR NO KEY UPDATE;
         IF FOUND AND NOT EXISTS (
              SELECT 1 FROM public.org_members m
               WHERE m.org_id = OLD.org_id AND m.role = 'owner' AND m.user_id <> OLD.user_id) THEN
           RAISE EXCEPTION 'an org keeps at least one owner' USING ERRCODE = 'RKO01';
         END IF;
         RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
       END
       $fn$`,
            `GRANT SELECT (id), UPDATE (name) ON orgs TO ${AUTH_ROLE}`,
            `ALTER FUNCTION org_keep_an_owner() OWNER TO ${AUTH_ROLE}`,
            `REVOKE ALL ON FUNCTION org_keep_an_owner() FROM PUBLIC`,
            `CREATE TRIGGER org_members_keep_an_owner BEFORE UPDATE OR DELETE ON org_members
         FOR EACH ROW EXECUTE FUNCTION org_keep_an_owner()`,
            // ---- audit log
            // No FK to orgs: history outlives the org (and an append-only table cannot be cascaded).
            `CREATE TABLE org_audit_log (
         org_id uuid NOT NULL,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         at timestamptz NOT NULL DEFAULT clock_timestamp(),
         actor_user_id uuid,
         entity text NOT NULL CHECK (entity IN ('member', 'invitation')),
         entity_id uuid NOT NULL,
         action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
         before jsonb,
         after jsonb,
         request_id text,
         PRIMARY KEY (org_id, id)
       )`,
            `CREATE INDEX org_audit_log_at_idx ON org_audit_log (org_id, at DESC)`,
            ...tenantTableSql('org_audit_log', 'SELECT'),
            `CREATE FUNCTION org_audit_log_immutable() RETURNS trigger
         LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         RAISE EXCEPTION 'org_audit_log is append-only' USING ERRCODE = '42501';
       END
       $fn$`,
            `CREATE TRIGGER org_audit_log_immutable BEFORE UPDATE OR DELETE ON org_audit_log
         FOR EACH ROW EXECUTE FUNCTION org_audit_log_immutable()`,
            `CREATE TRIGGER org_audit_log_no_truncate BEFORE TRUNCATE ON org_audit_log
         FOR EACH STATEMENT EXECUTE FUNCTION org_audit_log_immutable()`,
            // SECURITY DEFINER so that the app role needs no INSERT on the log (it cannot forge history),
            // and so that the row lands whatever org the transaction has set (an invitee accepting has
            // none). The token hash never enters the log.
            `CREATE FUNCTION org_audit_write() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       DECLARE
         r jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
       BEGIN
         INSERT INTO public.org_audit_log (org_id, actor_user_id, entity, entity_id, action, before, after, request_id)
         VALUES (
           (r->>'org_id')::uuid,
           nullif(current_setting('app.user_id', true), '')::uuid,
           TG_ARGV[0],
           (r->>TG_ARGV[1])::uuid,
           lower(TG_OP),
           CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) - 'token_hash' END,
           CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) - 'token_hash' END,
           nullif(current_setting('app.request_id', true), '')
         );
         RETURN NULL;
       END
       $fn$`,
            `GRANT INSERT ON org_audit_log TO ${AUTH_ROLE}`,
            `ALTER FUNCTION org_audit_write() OWNER TO ${AUTH_ROLE}`,
            `REVOKE ALL ON FUNCTION org_audit_write() FROM PUBLIC`,
            `CREATE TRIGGER org_members_audit AFTER INSERT OR UPDATE OR DELETE ON org_members
         FOR EACH ROW EXECUTE FUNCTION org_audit_write('member', 'user_id')`,
            `CREATE TRIGGER org_invitations_audit AFTER INSERT OR UPDATE OR DELETE ON org_invitations
         FOR EACH ROW EXECUTE FUNCTION org_audit_write('invitation', 'id')`,
            // ---- outbox
            `CREATE TABLE outbox_events (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         topic text NOT NULL CHECK (topic ~ '^[a-z][a-z0-9_.]{1,62}$'),
         payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         dispatched_at timestamptz,
         PRIMARY KEY (org_id, id)
       )`,
            `CREATE INDEX outbox_events_pending_idx ON outbox_events (org_id, created_at) WHERE dispatched_at IS NULL`,
            ...tenantTableSql('outbox_events'),
        ])
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `DROP TABLE IF EXISTS outbox_events`,
            `DROP TRIGGER IF EXISTS org_invitations_audit ON org_invitations`,
            `DROP TRIGGER IF EXISTS org_members_audit ON org_members`,
            `DROP FUNCTION IF EXISTS org_audit_write()`,
            `DROP TABLE IF EXISTS org_audit_log`,
            `DROP FUNCTION IF EXISTS org_audit_log_immutable()`,
            `DROP TRIGGER IF EXISTS org_members_keep_an_owner ON org_members`,
            `DROP FUNCTION IF EXISTS org_keep_an_owner()`,
            `REVOKE SELECT (id), UPDATE (name) ON orgs FROM ${AUTH_ROLE}`,
            `DROP FUNCTION IF EXISTS invitation_accept(uuid, uuid, bytea, text)`,
            `REVOKE INSERT (id, email) ON users FROM ${AUTH_ROLE}`,
            `REVOKE INSERT (org_id, user_id, role) ON org_members FROM ${AUTH_ROLE}`,
            `DROP TABLE IF EXISTS org_invitations`,
            `DROP FUNCTION IF EXISTS set_default_org(uuid)`,
            AUTH_CONTEXT_BEFORE,
            `DROP TRIGGER IF EXISTS users_default_org_change ON users`,
            `ALTER TABLE users DROP COLUMN IF EXISTS default_org_id`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1796195199478-OrgInvitations.js.map