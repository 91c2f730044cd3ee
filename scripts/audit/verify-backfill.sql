-- Backfill check: psql "postgres://postgres@127.0.0.1:5432/rocker" -f scripts/audit/verify-backfill.sql
-- (npm run audit runs it through the pg package as PG_ADMIN_URL, on DATABASE_URL's database.)
--
-- Counts rows with org_id IS NULL in every table that has an org_id column; any such row is a
-- finding (a WARNING line "<table>: <problem> -- fix: <how>"), and the script then ends with an
-- ERROR. RLS would hide exactly those rows from the app role and the owner (FORCE), so this runs as
-- a role that sees every row: a superuser or a BYPASSRLS role. With row_security off, any other
-- role gets an error instead of a reassuring, wrong zero.
\set ON_ERROR_STOP on
\set QUIET on
BEGIN READ ONLY;
SET LOCAL row_security = off;
DO $backfill$
DECLARE
  v_tbl record;
  n_null bigint;
  n_tables int := 0;
  n_findings int := 0;
BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'backfill check: role % is subject to RLS and cannot see every row', current_user
      USING HINT = 'connect as a superuser or a BYPASSRLS role (PG_ADMIN_URL)';
  END IF;
  FOR v_tbl IN
    SELECT format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relkind IN ('r', 'p')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
     ORDER BY 1
  LOOP
    n_tables := n_tables + 1;
    EXECUTE format('SELECT count(*) FROM %s WHERE org_id IS NULL', v_tbl.name) INTO n_null;
    IF n_null > 0 THEN
      n_findings := n_findings + 1;
      RAISE WARNING '%: % row(s) with org_id NULL (invisible to every org, owned by none) -- fix: backfill them (UPDATE % SET org_id = ... WHERE org_id IS NULL, in a migration) or delete them, then ALTER TABLE % ALTER COLUMN org_id SET NOT NULL',
        v_tbl.name, n_null, v_tbl.name, v_tbl.name;
    END IF;
  END LOOP;
  RAISE NOTICE 'backfill check: % table(s) with org_id, % finding(s)', n_tables, n_findings;
  IF n_findings > 0 THEN
    RAISE EXCEPTION 'backfill check failed: % table(s) with NULL org_id', n_findings;
  END IF;
END
$backfill$;
ROLLBACK;
