// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
/** The transaction's org (`app.org_id`; '' reads as NULL), evaluated once per statement (an InitPlan). */
const CURRENT_ORG = `(select nullif(current_setting('app.org_id', true), '')::uuid)`;
const CURRENT_ACTOR_ROLE = `(select nullif(current_setting('app.actor_role', true), ''))`;
/**
 * Per-org overrides of rate-limit policies and job concurrency. Readable by the org itself;
 * written only with actor_role = super_admin set in the transaction (the guard checks it too).
 */
export class OrgLimits1764100001000 {
    constructor() {
        this.name = 'OrgLimits1764100001000';
    }
    async up(q) {
        const org = `org_id = ${CURRENT_ORG}`;
        const admin = `${CURRENT_ACTOR_ROLE} = 'super_admin'`;
        for (const s of [
            `CREATE TABLE org_limits (
         org_id uuid PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
         policies jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(policies) = 'object'),
         job_concurrency integer CHECK (job_concurrency BETWEEN 1 AND 1000),
         updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
       )`,
            `ALTER TABLE org_limits ENABLE ROW LEVEL SECURITY`,
            `ALTER TABLE org_limits FORCE ROW LEVEL SECURITY`,
            `CREATE POLICY org_limits_select ON org_limits FOR SELECT USING (${org})`,
            `CREATE POLICY org_limits_insert ON org_limits FOR INSERT WITH CHECK (${org} AND ${admin})`,
            `CREATE POLICY org_limits_update ON org_limits FOR UPDATE USING (${org} AND ${admin}) WITH CHECK (${org} AND ${admin})`,
            `CREATE POLICY org_limits_delete ON org_limits FOR DELETE USING (${org} AND ${admin})`,
            `GRANT SELECT, INSERT, UPDATE, DELETE ON org_limits TO ${APP_ROLE}`,
        ])
            await q.query(s);
    }
    async down(q) {
        await q.query(`DROP TABLE IF EXISTS org_limits`);
    }
}
//# sourceMappingURL=1764100001000-OrgLimits.js.map