import type { MigrationInterface, QueryRunner } from 'typeorm';

// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const APP_ROLE = 'rocker_app';
const AUTH_ROLE = 'rocker_auth';
const CURRENT_ORG = `(select app_ctx_org())`;
/** What a row costs besides its documents (its tuple and index entries), so a flood of tiny rows is not free. */
const ROW_BYTES = 256;
/** Rows per org: a write adds to its backend's slot, so one org's concurrent writes do not queue on one row lock. */
const SLOTS = 16;

/** The documents each counted table keeps, as an expression over a row (NEW or OLD). */
const COUNTED: Record<string, { bytes: (r: string) => string; updateOf?: string }> = {
  knowledge_items: {
    bytes: (r) => `coalesce(octet_length(${r}.content_text), 0) + coalesce(octet_length(${r}.content_html), 0)`,
    updateOf: 'content_text, content_html',
  },
  knowledge_blobs: { bytes: (r) => `octet_length(${r}.data)` },
  rocker_messages: { bytes: (r) => `octet_length(${r}.content)` },
};

/**
 * What each org keeps, in bytes (issue 15: no org can fill the database for everyone): item text
 * and HTML, uploads waiting for OCR, thread messages, each row counting ROW_BYTES besides. The API
 * refuses a write that would take its org past `caps.stored_bytes`.
 *
 * - org_storage (tenant table): up to SLOTS rows per org, kept by row triggers on the counted
 *   tables, so reading an org's total sums a few rows of one index range whatever it keeps. A write
 *   adds its delta to the slot of its backend (pg_backend_pid() % SLOTS): with one row per org,
 *   16 concurrent messages of one org queued on its row lock through each commit (0.68x the org's
 *   own write rate). A slot may go negative (a row deleted by another backend than wrote it); the
 *   sum is what counts. `octet_length` of a stored value reads its length from the TOAST pointer:
 *   nothing is decompressed.
 * - The app role may only read it: the triggers' functions are SECURITY DEFINER, owned by
 *   rocker_auth (NOLOGIN, BYPASSRLS, as the org audit trigger), which may read and add to
 *   org_storage and nothing else here, so no statement of the API can forge its org's count, and
 *   a write with no org set (an operator's bulk load as the owner or a superuser) is counted too.
 *   Each writes only the counted row's own org's count, a row its statement was allowed to write.
 * - Inserts and deletes are counted per statement (transition tables), a changed document per row.
 *   A delete whose org is gone adds nothing: an org being deleted cascades into its rows after its
 *   org_storage rows are gone (and an insert would violate the foreign key).
 * - The count is taken now from what is stored (FORCE lifted inside this one transaction, so no
 *   other session sees the tables unforced).
 */
export class OrgStoredBytes1796206400000 implements MigrationInterface {
  name = 'OrgStoredBytes1796206400000';

  async up(q: QueryRunner): Promise<void> {
    const cmp = `org_id = ${CURRENT_ORG}`;
    await q.query(`CREATE TABLE org_storage (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         slot smallint NOT NULL CHECK (slot >= 0 AND slot < ${SLOTS}),
         bytes bigint NOT NULL DEFAULT 0,
         PRIMARY KEY (org_id, slot)
       )`);
    for (const s of [
      `ALTER TABLE org_storage ENABLE ROW LEVEL SECURITY`,
      `ALTER TABLE org_storage FORCE ROW LEVEL SECURITY`,
      `CREATE POLICY org_storage_select ON org_storage FOR SELECT USING (${cmp})`,
      `CREATE POLICY org_storage_insert ON org_storage FOR INSERT WITH CHECK (${cmp})`,
      `CREATE POLICY org_storage_update ON org_storage FOR UPDATE USING (${cmp}) WITH CHECK (${cmp})`,
      `CREATE POLICY org_storage_delete ON org_storage FOR DELETE USING (${cmp})`,
      `GRANT SELECT ON org_storage TO ${APP_ROLE}`,
      `GRANT SELECT, INSERT, UPDATE ON org_storage TO ${AUTH_ROLE}`,
    ])
      await q.query(s);

    const slot = `pg_backend_pid() % ${SLOTS}`;
    for (const [table, { bytes, updateOf }] of Object.entries(COUNTED)) {
      // Inserts and deletes per statement, from its transition table: one addition per org
      // whatever the rows (a thread of 100,000 messages deleted at once would otherwise update one
      // row 100,000 times in one transaction, each walking the versions the ones before left).
      await q.query(`CREATE FUNCTION org_storage_count_${table}() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         INSERT INTO public.org_storage AS s (org_id, slot, bytes)
         SELECT c.org_id, ${slot}, CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END * sum(${ROW_BYTES} + ${bytes('c')})
           FROM changed c
          WHERE TG_OP = 'INSERT' OR EXISTS (SELECT 1 FROM public.orgs o WHERE o.id = c.org_id)
          GROUP BY c.org_id
         ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes;
         RETURN NULL;
       END
       $fn$`);
      await q.query(`CREATE TRIGGER ${table}_storage_insert AFTER INSERT ON ${table}
         REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION org_storage_count_${table}()`);
      await q.query(`CREATE TRIGGER ${table}_storage_delete AFTER DELETE ON ${table}
         REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION org_storage_count_${table}()`);
      const fns = [`org_storage_count_${table}()`];
      if (updateOf) {
        // A changed document, per row, only when its size changed (the sizes come from the TOAST
        // pointers: nothing is read); a status update does not call it.
        await q.query(`CREATE FUNCTION org_storage_resize_${table}() RETURNS trigger
           LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
         AS $fn$
         BEGIN
           INSERT INTO public.org_storage AS s (org_id, slot, bytes) VALUES (NEW.org_id, ${slot}, (${bytes('NEW')}) - (${bytes('OLD')}))
             ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes;
           RETURN NULL;
         END
         $fn$`);
        const sizes = updateOf
          .split(', ')
          .map((col) => `octet_length(OLD.${col}) IS DISTINCT FROM octet_length(NEW.${col})`)
          .join(' OR ');
        await q.query(`CREATE TRIGGER ${table}_storage_resize AFTER UPDATE OF ${updateOf} ON ${table}
           FOR EACH ROW WHEN (${sizes}) EXECUTE FUNCTION org_storage_resize_${table}()`);
        fns.push(`org_storage_resize_${table}()`);
      }
      for (const fn of fns) {
        await q.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
        await q.query(`ALTER FUNCTION ${fn} OWNER TO ${AUTH_ROLE}`);
      }
    }

    const tables = ['org_storage', ...Object.keys(COUNTED)];
    for (const t of tables) await q.query(`ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY`);
    const sums = Object.entries(COUNTED)
      .map(([table, { bytes }]) => `SELECT t.org_id, ${ROW_BYTES} + ${bytes('t')} AS b FROM ${table} t`)
      .join(' UNION ALL ');
    await q.query(`INSERT INTO org_storage (org_id, slot, bytes) SELECT org_id, 0, sum(b) FROM (${sums}) counted GROUP BY org_id`);
    for (const t of tables) await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of Object.keys(COUNTED)) {
      for (const t of ['insert', 'delete', 'resize']) await q.query(`DROP TRIGGER IF EXISTS ${table}_storage_${t} ON ${table}`);
      await q.query(`DROP FUNCTION IF EXISTS org_storage_count_${table}()`);
      await q.query(`DROP FUNCTION IF EXISTS org_storage_resize_${table}()`);
    }
    await q.query(`DROP TABLE IF EXISTS org_storage`);
  }
}
