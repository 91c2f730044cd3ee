// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
/** The columns that hold a whole document: an item's text and sanitised HTML, an upload's bytes. */
const COLUMNS = [
    ['knowledge_items', 'content_text'],
    ['knowledge_items', 'content_html'],
    ['knowledge_blobs', 'data'],
];
/**
 * Large documents are compressed with lz4, not pglz, when Postgres was built with it (it is on
 * Debian's): the compression runs in the backend of the request or job that writes the row, at
 * the same priority as every other org's queries, and pglz took about 15 ms of CPU per 4 MB of
 * markup where lz4 took about 1.3 ms (and stored it smaller). New values only: rows already
 * written keep their compression until they are written again. Without lz4 (or before PostgreSQL 14)
 * this does nothing.
 */
export class ToastLz41796206100000 {
    constructor() {
        this.name = 'ToastLz41796206100000';
    }
    async up(q) {
        // The setting exists from PostgreSQL 14 (per-column compression with it): no row, nothing to do.
        const rows = (await q.query(`SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`));
        if (!rows[0]?.lz4)
            return;
        for (const [table, column] of COLUMNS)
            await q.query(`ALTER TABLE ${table} ALTER COLUMN ${column} SET COMPRESSION lz4`);
    }
    async down(q) {
        const rows = (await q.query(`SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression'`));
        if (!rows.length)
            return;
        for (const [table, column] of COLUMNS)
            await q.query(`ALTER TABLE ${table} ALTER COLUMN ${column} SET COMPRESSION default`);
    }
}
//# sourceMappingURL=1796206100000-ToastLz4.js.map