import type { MigrationInterface, QueryRunner } from 'typeorm';

// Frozen copies, not imports: a migration's SQL must not change once it has run anywhere.
const AUTH_ROLE = 'rocker_auth';
/** As OrgStoredBytes: the org's slots in org_storage. */
const SLOTS = 16;

/**
 * What was left uncounted beside the documents (an attack review: 2,000 items with a title of 300
 * characters and a one-letter text counted 257 bytes each and kept 1,667): an item's title, source
 * URL, file name and error, and the whole ingest job each item brings (its payload, last error,
 * idempotency key and request id, and a row with six indexes, counted as `rowBytes`).
 * `name` names the triggers and functions; knowledge_items keeps OrgStoredBytes' own for its
 * documents and row, these count its other columns beside them.
 */
const COUNTED: { name: string; table: string; rowBytes: number; bytes: (r: string) => string; updateOf: string }[] = [
  {
    name: 'knowledge_items_meta',
    table: 'knowledge_items',
    rowBytes: 0,
    bytes: (r) =>
      `octet_length(${r}.title) + coalesce(octet_length(${r}.source_url), 0) + coalesce(octet_length(${r}.file_name), 0) + coalesce(octet_length(${r}.error), 0)`,
    updateOf: 'title, source_url, file_name, error',
  },
  {
    name: 'ingest_jobs',
    table: 'ingest_jobs',
    rowBytes: 512,
    bytes: (r) =>
      `coalesce(pg_column_size(${r}.payload), 0) + coalesce(octet_length(${r}.last_error), 0) + coalesce(octet_length(${r}.idempotency_key), 0) + coalesce(octet_length(${r}.request_id), 0)`,
    updateOf: 'last_error',
  },
];

/**
 * org_storage counts an item's other columns and its ingest jobs too, with the triggers of
 * OrgStoredBytes (per statement from transition tables, a changed size per row, SECURITY DEFINER
 * owned by rocker_auth, so no statement of the API can forge its count). The rows already stored
 * are added to each org's slot 0 (FORCE lifted inside this one transaction).
 */
export class OrgStoredItemRows1796206900000 implements MigrationInterface {
  name = 'OrgStoredItemRows1796206900000';

  async up(q: QueryRunner): Promise<void> {
    const slot = `pg_backend_pid() % ${SLOTS}`;
    for (const { name, table, rowBytes, bytes, updateOf } of COUNTED) {
      await q.query(`CREATE FUNCTION org_storage_count_${name}() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
       AS $fn$
       BEGIN
         INSERT INTO public.org_storage AS s (org_id, slot, bytes)
         SELECT c.org_id, ${slot}, CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END * sum(${rowBytes} + ${bytes('c')})
           FROM changed c
          WHERE TG_OP = 'INSERT' OR EXISTS (SELECT 1 FROM public.orgs o WHERE o.id = c.org_id)
          GROUP BY c.org_id
         ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes;
         RETURN NULL;
       END
       $fn$`);
      await q.query(`CREATE TRIGGER ${name}_storage_insert AFTER INSERT ON ${table}
         REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION org_storage_count_${name}()`);
      await q.query(`CREATE TRIGGER ${name}_storage_delete AFTER DELETE ON ${table}
         REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION org_storage_count_${name}()`);
      await q.query(`CREATE FUNCTION org_storage_resize_${name}() RETURNS trigger
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
      await q.query(`CREATE TRIGGER ${name}_storage_resize AFTER UPDATE OF ${updateOf} ON ${table}
         FOR EACH ROW WHEN (${sizes}) EXECUTE FUNCTION org_storage_resize_${name}()`);
      for (const fn of [`org_storage_count_${name}()`, `org_storage_resize_${name}()`]) {
        await q.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
        await q.query(`ALTER FUNCTION ${fn} OWNER TO ${AUTH_ROLE}`);
      }
    }
    await this.addStored(q, 1);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.addStored(q, -1);
    for (const { name, table } of COUNTED) {
      for (const t of ['insert', 'delete', 'resize']) await q.query(`DROP TRIGGER IF EXISTS ${name}_storage_${t} ON ${table}`);
      await q.query(`DROP FUNCTION IF EXISTS org_storage_count_${name}()`);
      await q.query(`DROP FUNCTION IF EXISTS org_storage_resize_${name}()`);
    }
  }

  /** Adds (sign 1) or takes back (-1) what the rows already stored count under these triggers, in each org's slot 0. */
  private async addStored(q: QueryRunner, sign: 1 | -1): Promise<void> {
    const tables = ['org_storage', ...new Set(COUNTED.map((c) => c.table))];
    for (const t of tables) await q.query(`ALTER TABLE ${t} NO FORCE ROW LEVEL SECURITY`);
    const sums = COUNTED.map(({ table, rowBytes, bytes }) => `SELECT t.org_id, ${rowBytes} + ${bytes('t')} AS b FROM ${table} t`).join(
      ' UNION ALL ',
    );
    await q.query(
      `INSERT INTO org_storage AS s (org_id, slot, bytes) SELECT org_id, 0, ${sign} * sum(b) FROM (${sums}) counted GROUP BY org_id
         ON CONFLICT (org_id, slot) DO UPDATE SET bytes = s.bytes + EXCLUDED.bytes`,
    );
    for (const t of tables) await q.query(`ALTER TABLE ${t} FORCE ROW LEVEL SECURITY`);
  }
}
