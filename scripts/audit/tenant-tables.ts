/**
 * How each table with an org column is placed: the tenant tables (distributed by org_id under Citus;
 * every repository query on them names the context's org), and the platform tables that carry an
 * org column but are read across orgs (reference or separately distributed tables). The org-routing
 * audit reads these lists; with a database it also checks that every table with an org_id column
 * is in one of them, so a new table cannot slip past unclassified. docs/scaling.md explains each.
 */
export const TENANT_TABLES = [
  'org_members',
  'org_invitations',
  'org_audit_log',
  'org_limits',
  'outbox_events',
  'rocker_threads',
  'rocker_messages',
  'knowledge_items',
  'knowledge_blobs',
  'private_chunks',
  'ingest_jobs',
  'usage_daily',
  'org_storage',
] as const;

/** Tables with an org_id column that are not distributed by it, and why. */
export const ORG_COLUMN_GLOBAL_TABLES: Record<string, string> = {
  feature_flag_overrides:
    'platform flags (SPEC §6): a super_admin reads and writes every org\'s overrides; small, a reference table under Citus',
};
