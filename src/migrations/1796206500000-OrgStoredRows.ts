import type { MigrationInterface, QueryRunner } from 'typeorm';

// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const AUTH_ROLE = 'rocker_auth';
/** As OrgStoredBytes: what a row costs besides its documents. */
const ROW_BYTES = 256;
/** As OrgStoredBytes: the org's slots in org_storage. */
const SLOTS = 16;

/**
 * The rows a tenant adds besides documents, each as the bytes it keeps over a row (NEW or OLD);
 * `pg_column_size` reads a stored value's size (compressed, if it is), nothing is decoded.
 */
const COUNTED: Record<string, { bytes: (r: string) => string; updateOf?: string }> = {
  rocker_threads: { bytes: (r) => `octet_length(${r}.title)`, updateOf: 'title' },
  org_invitations: { bytes: (r) => `octet_length(${r}.email)` },
  outbox_events: { bytes: (r) => `octet_length(${r}.topic) + pg_column_size(${r}.payload)` },
  org_audit_log: {
    bytes: (r) =>
      `coalesce(pg_column_size(${r}.before), 0) + coalesce(pg_column_size(${r}.after), 0) + coalesce(octet_length(${r}.request_id), 0)`,
  },
};

/**
 * org_storage counts every row a tenant can add, not only documents (issue 15: no org can fill
 * the database for everyone): threads (a title of at most 200 characters, created at the `api`
 * rate), invitations, and the outbox and audit rows each invitation or membership change appends.
 * Before, an org could add thread rows or invitations without end, uncounted. The triggers are
 * OrgStoredBytes' (per statement from transition tables, a changed title per row, SECURITY DEFINER
 * owned by rocker_auth), so no statement of the API can forge its count; an insert is counted only while its
 * org exists too (an org's deletion cascades into its members, whose audit rows are written then). The rows already stored
 * are added to each org's slot 0 (FORCE lifted inside this one transaction).
 */
export class OrgStoredRows1796206500000 implements MigrationInterface {
  name = 'OrgStoredRows1796206500000';

  async up(q: QueryRunner): Promise<void> {
    const slot = `pg_backend_pid() % ${SLOTS}`;
    for (const [table, { bytes, updateOf }] of Object.entries(COUNTED)) {
      await q.query(`CREATE FUNCTION org_storage_count_${table}() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         INSERT INTO public.org_storage AS s (org_id, slot, bytes)
         SELECT c.org_id, ${slot}, CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END * sum(${ROW_BYTES} + ${bytes('c')})
           FROM changed c
          WHERE EXISTS (SELECT 1 FROM public.orgs o WHERE o.id = c.org_id)
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
        await q.query(`CREATE FUNCTION org_storage_resize_${table}() RETURNS trigger
           LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
         AS $fn$
         BEGIN
           INSERT INTO public.org_storage AS s (org_id, slot, bytes) VALUES (NEW.org_id, ${slot}, (${bytes('NEW')}) - (${bytes('OLD')}))
             ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes;
           RETURN NULL;
         END
         $fn$`);
        await q.query(`CREATE TRIGGER ${table}_storage_resize AFTER UPDATE OF ${updateOf} ON ${table}
           FOR EACH ROW WHEN (octet_length(OLD.${updateOf}) IS DISTINCT FROM octet_length(NEW.${updateOf}))
           EXECUTE FUNCTION org_storage_resize_${table}()`);
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
    await q.query(`INSERT INTO org_storage AS s (org_id, slot, bytes) SELECT org_id, 0, sum(b) FROM (${sums}) counted GROUP BY org_id
       ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes`);
    for (const t of tables) await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
  }

  async down(q: QueryRunner): Promise<void> {
    const tables = ['org_storage', ...Object.keys(COUNTED)];
    for (const t of tables) await q.query(`ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY`);
    const sums = Object.entries(COUNTED)
      .map(([table, { bytes }]) => `SELECT t.org_id, ${ROW_BYTES} + ${bytes('t')} AS b FROM ${table} t`)
      .join(' UNION ALL ');
    await q.query(`INSERT INTO org_storage AS s (org_id, slot, bytes) SELECT org_id, 0, -sum(b) FROM (${sums}) counted GROUP BY org_id
       ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes`);
    for (const t of tables) await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
    for (const table of Object.keys(COUNTED)) {
      for (const t of ['insert', 'delete', 'resize'])
        await q.query(`DROP TRIGGER IF EXISTS ${table}_storage_${t} ON ${table}`);
      await q.query(`DROP FUNCTION IF EXISTS org_storage_count_${table}()`);
      await q.query(`DROP FUNCTION IF EXISTS org_storage_resize_${table}()`);
    }
  }
}
