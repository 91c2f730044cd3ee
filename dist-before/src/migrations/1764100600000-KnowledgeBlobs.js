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
 * Raw bytes an ingest job still has to read (an image waiting for OCR), kept beside their
 * knowledge item and removed by the job once its text is stored. Never served to clients.
 */
export class KnowledgeBlobs1764100600000 {
    constructor() {
        this.name = 'KnowledgeBlobs1764100600000';
    }
    async up(q) {
        for (const s of [
            `CREATE TABLE knowledge_blobs (
         org_id uuid NOT NULL,
         knowledge_item_id uuid NOT NULL,
         mime_type text NOT NULL CHECK (mime_type IN ('image/png', 'image/jpeg')),
         data bytea NOT NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, knowledge_item_id),
         FOREIGN KEY (org_id, knowledge_item_id) REFERENCES knowledge_items (org_id, id) ON DELETE CASCADE
       )`,
            ...tenantTableSql('knowledge_blobs'),
        ])
            await q.query(s);
    }
    async down(q) {
        await q.query(`DROP TABLE IF EXISTS knowledge_blobs`);
    }
}
//# sourceMappingURL=1764100600000-KnowledgeBlobs.js.map