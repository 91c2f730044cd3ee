// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
/** The transaction's org (`app.org_id`; '' reads as NULL), evaluated once per statement (an InitPlan). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/** ENABLE + FORCE row-level security and one policy per command, all comparing org_id. */
function tenantTableSql(table) {
    const cmp = `org_id = ${CURRENT_ORG}`;
    return [
        `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
        `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
        `CREATE POLICY ${table}_select ON ${table} FOR SELECT USING (${cmp})`,
        `CREATE POLICY ${table}_insert ON ${table} FOR INSERT WITH CHECK (${cmp})`,
        `CREATE POLICY ${table}_update ON ${table} FOR UPDATE USING (${cmp}) WITH CHECK (${cmp})`,
        `CREATE POLICY ${table}_delete ON ${table} FOR DELETE USING (${cmp})`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${APP_ROLE}`,
    ];
}
/**
 * Orgs, users, memberships, threads, messages and knowledge items.
 * Tenant tables: org_id leads every key and composite index, and FKs between tenant tables carry
 * it, so the tables can be distributed by org_id (Citus) without reshaping.
 */
export class Foundation1764100000000 {
    constructor() {
        this.name = 'Foundation1764100000000';
    }
    async up(q) {
        const sql = [
            // Extensions are created by setup (it needs a superuser); fail clearly if they are missing.
            `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
           RAISE EXCEPTION 'extension "vector" (pgvector) is missing: run scripts/setup.sh';
         END IF;
       END $$`,
            `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
            `GRANT USAGE ON SCHEMA public TO ${APP_ROLE}, rocker_auth`,
            `GRANT CREATE ON SCHEMA public TO rocker_auth`,
            `CREATE TABLE orgs (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
         name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
            `CREATE TABLE users (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         email text NOT NULL UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
         display_name text,
         is_super_admin boolean NOT NULL DEFAULT false,
         created_at timestamptz NOT NULL DEFAULT now()
       )`,
            `GRANT SELECT ON orgs, users TO ${APP_ROLE}`,
            `CREATE TABLE org_members (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
         role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
         created_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (org_id, user_id)
       )`,
            `CREATE INDEX org_members_user_idx ON org_members (user_id)`,
            ...tenantTableSql('org_members'),
            `CREATE TABLE rocker_threads (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         title text NOT NULL,
         created_by uuid REFERENCES users(id) ON DELETE SET NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, id)
       )`,
            `CREATE INDEX rocker_threads_page_idx ON rocker_threads (org_id, created_at DESC, id DESC)`,
            ...tenantTableSql('rocker_threads'),
            `CREATE TABLE rocker_messages (
         org_id uuid NOT NULL,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         thread_id uuid NOT NULL,
         role text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
         content text NOT NULL,
         created_by uuid REFERENCES users(id) ON DELETE SET NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, id),
         FOREIGN KEY (org_id, thread_id) REFERENCES rocker_threads (org_id, id) ON DELETE CASCADE
       )`,
            `CREATE INDEX rocker_messages_page_idx ON rocker_messages (org_id, thread_id, created_at, id)`,
            ...tenantTableSql('rocker_messages'),
            `CREATE TABLE knowledge_items (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         id uuid NOT NULL DEFAULT gen_random_uuid(),
         title text NOT NULL,
         source_kind text NOT NULL CHECK (source_kind IN ('text', 'html', 'url', 'upload')),
         source_url text,
         content_text text,
         content_html text,
         mime_type text,
         file_name text,
         byte_size integer,
         status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
         error text,
         created_by uuid REFERENCES users(id) ON DELETE SET NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, id)
       )`,
            `CREATE INDEX knowledge_items_page_idx ON knowledge_items (org_id, created_at DESC, id DESC)`,
            ...tenantTableSql('knowledge_items'),
            // The guard must learn a user's memberships before any org is set, which RLS (rightly) hides.
            // This narrow function is the one door: it answers only for the user id it is given, which
            // the guard takes from a verified token. It is owned by rocker_auth, a NOLOGIN role whose only
            // grants are SELECT on users and org_members.
            `CREATE FUNCTION auth_context(p_user_id uuid)
         RETURNS TABLE (user_id uuid, is_super_admin boolean, org_id uuid, role text)
         LANGUAGE sql STABLE SECURITY DEFINER
         SET search_path = pg_catalog, pg_temp
       AS $fn$
         SELECT u.id, u.is_super_admin, m.org_id, m.role
           FROM public.users u
           LEFT JOIN public.org_members m ON m.user_id = u.id
          WHERE u.id = p_user_id
       $fn$`,
            `GRANT SELECT ON users, org_members TO rocker_auth`,
            `ALTER FUNCTION auth_context(uuid) OWNER TO rocker_auth`,
            `REVOKE ALL ON FUNCTION auth_context(uuid) FROM PUBLIC`,
            `GRANT EXECUTE ON FUNCTION auth_context(uuid) TO ${APP_ROLE}`,
            // The health check reads which migrations ran.
            `GRANT SELECT ON migrations TO ${APP_ROLE}`,
        ];
        for (const s of sql)
            await q.query(s);
    }
    async down(q) {
        for (const s of [
            `DROP FUNCTION IF EXISTS auth_context(uuid)`,
            `DROP TABLE IF EXISTS knowledge_items, rocker_messages, rocker_threads, org_members CASCADE`,
            `DROP TABLE IF EXISTS users, orgs CASCADE`,
        ])
            await q.query(s);
    }
}
//# sourceMappingURL=1764100000000-Foundation.js.map