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
/** Metered usage per org, day and unit, flushed in batches from Redis (not a write per request). */
export class UsageDaily1764100500000 {
    constructor() {
        this.name = 'UsageDaily1764100500000';
    }
    async up(q) {
        for (const s of [
            `CREATE TABLE usage_daily (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         day date NOT NULL,
         unit text NOT NULL CHECK (unit IN ('tts_characters', 'embedding_inputs', 'crawled_pages', 'ocr_pages')),
         amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, day, unit)
       )`,
            ...tenantTableSql('usage_daily'),
        ])
            await q.query(s);
    }
    async down(q) {
        await q.query(`DROP TABLE IF EXISTS usage_daily`);
    }
}
//# sourceMappingURL=1764100500000-UsageDaily.js.map