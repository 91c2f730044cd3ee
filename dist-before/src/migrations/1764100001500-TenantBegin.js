// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
/**
 * tenant_begin(): the first statement of every tenant transaction. It sets the transaction-local
 * tenant settings AND re-checks, in the same round trip, that the user still holds the role it
 * claims in that org (or is a super_admin). So a membership cached by an API instance can never
 * outlive a removal or a demotion by even one request, at no extra round trip.
 * notify_auth_change(): tells every instance (LISTEN rocker_auth) to drop a user's cached
 * memberships the moment a change commits.
 */
export class TenantBegin1764100001500 {
    constructor() {
        this.name = 'TenantBegin1764100001500';
    }
    async up(q) {
        for (const s of [
            `CREATE FUNCTION tenant_begin(p_org_id uuid, p_user_id uuid, p_role text, p_actor_role text, p_request_id text)
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
       $fn$`,
            `ALTER FUNCTION tenant_begin(uuid, uuid, text, text, text) OWNER TO rocker_auth`,
            `REVOKE ALL ON FUNCTION tenant_begin(uuid, uuid, text, text, text) FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION tenant_begin(uuid, uuid, text, text, text) TO ${APP_ROLE}`,
            `CREATE FUNCTION notify_auth_change() RETURNS trigger
         LANGUAGE plpgsql
         SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         IF TG_TABLE_NAME = 'users' THEN
           PERFORM pg_notify('rocker_auth', coalesce(NEW.id, OLD.id)::text);
         ELSE
           PERFORM pg_notify('rocker_auth', coalesce(NEW.user_id, OLD.user_id)::text);
           IF TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id THEN
             PERFORM pg_notify('rocker_auth', OLD.user_id::text);
           END IF;
         END IF;
         RETURN NULL;
       END
       $fn$`,
            `CREATE TRIGGER org_members_auth_change AFTER INSERT OR UPDATE OR DELETE ON org_members
         FOR EACH ROW EXECUTE FUNCTION notify_auth_change()`,
            `CREATE TRIGGER users_auth_change AFTER UPDATE OF is_super_admin OR DELETE ON users
         FOR EACH ROW EXECUTE FUNCTION notify_auth_change()`,
        ])
            await q.query(s);
    }
    async down(q) {
        await q.query(`DROP TRIGGER IF EXISTS users_auth_change ON users`);
        await q.query(`DROP TRIGGER IF EXISTS org_members_auth_change ON org_members`);
        await q.query(`DROP FUNCTION IF EXISTS notify_auth_change()`);
        await q.query(`DROP FUNCTION IF EXISTS tenant_begin(uuid, uuid, text, text, text)`);
    }
}
//# sourceMappingURL=1764100001500-TenantBegin.js.map