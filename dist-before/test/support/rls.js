/**
 * The reviewed policy set of a tenant table, for tests that plant tables (the audit's). Migrations
 * do not import this: each holds its own frozen copy, so editing this file never changes history.
 * The org is the transaction's verified one, app_ctx_org() (NULL unless tenant_begin() marked
 * this transaction; VerifiedTenantContext migration). The `(select ...)` wrapper makes Postgres
 * evaluate it once per statement (an InitPlan), not once per row.
 */
export const CURRENT_ORG = `(select app_ctx_org())`;
/** What every policy read before the VerifiedTenantContext migration: a setting anyone can set. */
export const RAW_SETTING_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
/** Name of the role the service connects as (owns nothing, NOBYPASSRLS). */
export const APP_ROLE = 'rocker_app';
/** ENABLE + FORCE row-level security and one policy per command, all comparing org_id. */
export function tenantTableSql(table) {
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
//# sourceMappingURL=rls.js.map