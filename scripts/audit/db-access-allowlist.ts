/**
 * The reviewed exceptions to the database-access audit, one reason each. Every change here is a
 * security review: code listed here may reach the database outside the tenant transaction.
 *
 * `path` is a file, or a folder ending in `/`, relative to the project root. src/database/ (the
 * database layer: pool, transaction plugin) is exempt by definition, not listed here.
 */

export type DbRule = 'raw-db' | 'sql' | 'tenant-db';

export interface DbAllowEntry {
  path: string;
  rules: DbRule[];
  reason: string;
}

export const DB_ACCESS_ALLOWLIST: DbAllowEntry[] = [
  {
    path: 'src/migrations/',
    rules: ['raw-db', 'sql'],
    reason: 'migrations: reviewed DDL run by TypeORM as the owner role (QueryRunner), never by the service',
  },
  {
    path: 'src/tenancy/tenant-context.ts',
    rules: ['raw-db', 'sql', 'tenant-db'],
    reason:
      'defines the tenant transaction and TenantDb themselves: opens the transaction whose first statement is tenant_begin() (sets app.org_id and re-checks membership), and TenantDb refuses to run outside it',
  },
  {
    path: 'src/tenancy/membership.repository.ts',
    rules: ['raw-db'],
    reason:
      "the guard reads a verified user's memberships before any org is known, so no tenant transaction can exist yet; it calls only the SECURITY DEFINER auth_context() and touches no tenant table",
  },
  {
    path: 'src/common/cache/pg-invalidation.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'the invalidated cache\'s Postgres transport: a session of its own that only runs LISTEN on a channel name checked against a plain-identifier pattern and quoted with escapeIdentifier; it reads no table and only drops cache entries on NOTIFY',
  },
  {
    path: 'src/modules/health/health.controller.ts',
    rules: ['raw-db', 'sql'],
    reason: 'readiness probe: SELECT 1 and showMigrations() on the pool; reads no tenant table',
  },
  {
    path: 'src/modules/metrics/runtime-collectors.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'metrics: pool gauges read from the pool object and a SELECT 1 liveness probe on its own connection; no tenant table',
  },
  {
    path: 'src/modules/metrics/metrics.module.ts',
    rules: ['raw-db'],
    reason: 'hands the DataSource to runtime-collectors.ts for the pool gauges; runs no query',
  },
  {
    path: 'src/modules/embeddings/embeddings.module.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'boot check: reads the vector dimension of the embedding columns from pg_attribute (catalog only) to refuse a model/column mismatch',
  },
  {
    path: 'src/modules/ingest/ingest-outbox.repository.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'the dispatcher works across orgs by design: it only calls the SECURITY DEFINER functions ingest_dispatch_claim / ingest_dispatch_unclaim / ingest_dispatched_queued / ingest_queue_stats / ingest_reap_expired (owned by rocker_dispatch, routing columns only, executable by the worker role alone), on its own worker-role pool and claim connections, and LISTENs for new work',
  },
  {
    path: 'src/modules/search/org-indexes.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'the per-org search index pass works across orgs by design: as the owner role on its own connection it calls only the SECURITY DEFINER search_org_sizes() (owned by rocker_dispatch, org ids and counts, executable by the owner alone), reads the catalog, and creates/drops partial HNSW indexes named and predicated from those org ids (uuid-checked); it reads no tenant row',
  },
  {
    path: 'scripts/search-org-indexes.ts',
    rules: ['raw-db'],
    reason: 'runs one per-org search index pass (org-indexes.ts) as the owner role',
  },
  {
    path: 'src/bootstrap.ts',
    rules: ['raw-db', 'sql'],
    reason: "the worker process's readiness probe: SELECT 1 on the pool; reads no tenant table",
  },
  {
    path: 'scripts/seed.ts',
    rules: ['raw-db', 'sql'],
    reason: 'development demo data as the owner role, setting the org per transaction; refuses in production',
  },
  {
    path: 'scripts/token.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'development JWT: looks up a user and an org id by email/slug (global tables); refuses in production',
  },
  { path: 'scripts/migrate.ts', rules: ['raw-db'], reason: 'runs the migrations as the owner role' },
  {
    path: 'scripts/context-keys.ts',
    rules: ['raw-db', 'sql'],
    reason:
      'installs the tenant-context verification keys (tenant_context_keys, no tenant table) as the owner role; setup, deployments and test templates',
  },
  {
    path: 'ormconfig.ts',
    rules: ['raw-db'],
    reason: "the TypeORM CLI's data source (owner role, migrations only)",
  },
  {
    path: 'scripts/audit/',
    rules: ['raw-db', 'sql'],
    reason: 'the audits themselves: read-only catalog queries (verify-rls.sql, verify-backfill.sql)',
  },
  {
    path: 'bench/',
    rules: ['raw-db', 'sql', 'tenant-db'],
    reason: 'benchmarks measure a bare pg handler as the baseline; not part of the service',
  },
  {
    path: 'test/support/',
    rules: ['raw-db', 'sql', 'tenant-db'],
    reason:
      'helpers the tests and the benchmarks share (simulated job handlers, the load harness), reached through bench/ imports; never loaded by the service',
  },
];
