// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
/** The transaction's org (`app.org_id`; '' reads as NULL), evaluated once per statement (an InitPlan). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/**
 * Feature flags, per-org overrides and their append-only audit log.
 *
 * Writes are for platform super_admins only, and the database enforces it on its own:
 * `flags_actor_is_super_admin()` is true only when the transaction's `app.actor_role` is
 * 'super_admin' AND `app.user_id` names a user whose `users.is_super_admin` is true. A route that
 * forgot `@SuperAdmin()`, or a job that builds a context by hand, still cannot write.
 *
 * - feature_flags: global; every transaction of the app role reads it.
 * - feature_flag_overrides: a tenant table (org_id NOT NULL, leading the PK, RLS forced). An org
 *   reads only its own rows; a super_admin reads and writes every org's rows (the admin routes
 *   run without an org), so write policies do not compare org_id.
 * - feature_flag_audit: global, append-only. Rows are written only by the AFTER trigger on the two
 *   flag tables (SECURITY DEFINER, in the same transaction as the change); the app role may only
 *   SELECT it, and sees rows only as super_admin. The affected org is `target_org_id` (nullable: flag-level
 *   changes have none), deliberately not named org_id: this is platform history, not tenant data.
 */
export class FeatureFlags1764100400000 {
    constructor() {
        this.name = 'FeatureFlags1764100400000';
    }
    async up(q) {
        const admin = `(select flags_actor_is_super_admin())`;
        const keyCheck = `CHECK (%s ~ '^[a-z][a-z0-9_]{1,62}$')`;
        for (const s of [
            `CREATE FUNCTION flags_actor_is_super_admin() RETURNS boolean
         LANGUAGE sql STABLE
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT coalesce(nullif(current_setting('app.actor_role', true), '') = 'super_admin', false)
            AND EXISTS (SELECT 1 FROM public.users u
                         WHERE u.id = nullif(current_setting('app.user_id', true), '')::uuid
                           AND u.is_super_admin)
       $fn$`,
            `REVOKE ALL ON FUNCTION flags_actor_is_super_admin() FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION flags_actor_is_super_admin() TO ${APP_ROLE}`,
            `CREATE TABLE feature_flags (
         key text PRIMARY KEY ${keyCheck.replace('%s', 'key')},
         description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
         default_enabled boolean NOT NULL DEFAULT false,
         rollout_percent smallint NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
       )`,
            `ALTER TABLE feature_flags ENABLE ROW LEVEL SECURITY`,
            `ALTER TABLE feature_flags FORCE ROW LEVEL SECURITY`,
            `CREATE POLICY feature_flags_select ON feature_flags FOR SELECT USING (true)`,
            `CREATE POLICY feature_flags_insert ON feature_flags FOR INSERT WITH CHECK (${admin})`,
            `CREATE POLICY feature_flags_update ON feature_flags FOR UPDATE USING (${admin}) WITH CHECK (${admin})`,
            `CREATE POLICY feature_flags_delete ON feature_flags FOR DELETE USING (${admin})`,
            // No route deletes a flag definition: the app role gets no DELETE.
            `GRANT SELECT, INSERT, UPDATE ON feature_flags TO ${APP_ROLE}`,
            // No FK to feature_flags: the catalogue of valid keys is the FlagKey enum in code, and an
            // override may exist before anyone has tuned the flag's global row.
            `CREATE TABLE feature_flag_overrides (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         flag_key text NOT NULL ${keyCheck.replace('%s', 'flag_key')},
         enabled boolean NOT NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, flag_key)
       )`,
            `ALTER TABLE feature_flag_overrides ENABLE ROW LEVEL SECURITY`,
            `ALTER TABLE feature_flag_overrides FORCE ROW LEVEL SECURITY`,
            `CREATE POLICY feature_flag_overrides_select ON feature_flag_overrides FOR SELECT
         USING (org_id = ${CURRENT_ORG} OR ${admin})`,
            `CREATE POLICY feature_flag_overrides_insert ON feature_flag_overrides FOR INSERT WITH CHECK (${admin})`,
            `CREATE POLICY feature_flag_overrides_update ON feature_flag_overrides FOR UPDATE USING (${admin}) WITH CHECK (${admin})`,
            `CREATE POLICY feature_flag_overrides_delete ON feature_flag_overrides FOR DELETE USING (${admin})`,
            `GRANT SELECT, INSERT, UPDATE, DELETE ON feature_flag_overrides TO ${APP_ROLE}`,
            `CREATE TABLE feature_flag_audit (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         at timestamptz NOT NULL DEFAULT clock_timestamp(),
         actor_user_id uuid,
         flag_key text NOT NULL,
         target_org_id uuid,
         action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
         before jsonb,
         after jsonb,
         request_id text
       )`,
            `CREATE INDEX feature_flag_audit_key_idx ON feature_flag_audit (flag_key, at DESC)`,
            `ALTER TABLE feature_flag_audit ENABLE ROW LEVEL SECURITY`,
            // Not FORCEd: the owner (the trigger below) writes it; the app role reads it as super_admin only.
            `CREATE POLICY feature_flag_audit_select ON feature_flag_audit FOR SELECT USING (${admin})`,
            `GRANT SELECT ON feature_flag_audit TO ${APP_ROLE}`,
            // Append-only for everyone, the owner role included.
            `CREATE FUNCTION feature_flag_audit_immutable() RETURNS trigger
         LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         RAISE EXCEPTION 'feature_flag_audit is append-only' USING ERRCODE = '42501';
       END
       $fn$`,
            `CREATE TRIGGER feature_flag_audit_immutable BEFORE UPDATE OR DELETE ON feature_flag_audit
         FOR EACH ROW EXECUTE FUNCTION feature_flag_audit_immutable()`,
            `CREATE TRIGGER feature_flag_audit_no_truncate BEFORE TRUNCATE ON feature_flag_audit
         FOR EACH STATEMENT EXECUTE FUNCTION feature_flag_audit_immutable()`,
            // Every row change on the flag tables writes one audit row in the same transaction. SECURITY
            // DEFINER so that the app role needs no INSERT on the audit table (it cannot forge history);
            // the change itself already passed the super_admin policies of the flag table. actor_user_id
            // is NULL only for changes made by the owner role (e.g. overrides cascaded by an org deletion).
            `CREATE FUNCTION feature_flag_audit_write() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
       AS $fn$
       DECLARE
         r jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
       BEGIN
         INSERT INTO public.feature_flag_audit (actor_user_id, flag_key, target_org_id, action, before, after, request_id)
         VALUES (
           nullif(current_setting('app.user_id', true), '')::uuid,
           coalesce(r->>'key', r->>'flag_key'),
           (r->>'org_id')::uuid,
           lower(TG_OP),
           CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
           CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END,
           nullif(current_setting('app.request_id', true), '')
         );
         RETURN NULL;
       END
       $fn$`,
            `REVOKE ALL ON FUNCTION feature_flag_audit_write() FROM PUBLIC`,
            `CREATE TRIGGER feature_flags_audit AFTER INSERT OR UPDATE OR DELETE ON feature_flags
         FOR EACH ROW EXECUTE FUNCTION feature_flag_audit_write()`,
            `CREATE TRIGGER feature_flag_overrides_audit AFTER INSERT OR UPDATE OR DELETE ON feature_flag_overrides
         FOR EACH ROW EXECUTE FUNCTION feature_flag_audit_write()`,
        ])
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `DROP TABLE IF EXISTS feature_flag_overrides, feature_flags, feature_flag_audit`,
            `DROP FUNCTION IF EXISTS feature_flag_audit_write()`,
            `DROP FUNCTION IF EXISTS feature_flag_audit_immutable()`,
            `DROP FUNCTION IF EXISTS flags_actor_is_super_admin()`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1764100400000-FeatureFlags.js.map