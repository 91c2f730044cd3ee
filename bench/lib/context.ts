import pg from 'pg';
import { installContextKeys } from '../../scripts/context-keys.js';
import { parseContextKeys, tenantBeginParams } from '../../src/tenancy/context-mac.js';

/** The benchmarks' tenant-context key (a benchmark database is thrown away; never a real key). */
export const BENCH_CONTEXT_KEYS = `bench1:${Buffer.alloc(32, 11).toString('base64')}`;
const [KEY] = parseContextKeys(BENCH_CONTEXT_KEYS);

/** Installs BENCH_CONTEXT_KEYS in a benchmark database, as the owner role. */
export async function installBenchKeys(ownerUrl: string): Promise<void> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    await installContextKeys(c, [KEY]);
  } finally {
    await c.end();
  }
}

/** Opens a signed tenant context in `c`'s transaction, as TenantTransactions does (a job's by default). */
export async function beginBenchTenant(
  c: pg.ClientBase,
  orgId: string,
  who: { userId?: string; role?: string } = {},
  /** A statement name: sent as a named prepared statement (bench:overhead's prepared baseline). */
  name?: string,
): Promise<void> {
  const ctx = {
    orgId,
    userId: who.userId ?? null,
    role: who.role ?? null,
    actorRole: who.role ?? (who.userId ? 'user' : 'system'),
    requestId: 'bench',
  };
  await c.query({ name, text: 'SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8)', values: tenantBeginParams(KEY, ctx, Date.now() + 60_000) });
}

/** The worker role's URL on the same database as another role's URL. */
export function workerUrlOf(url: string): string {
  const u = new URL(url);
  u.username = 'rocker_worker';
  u.password = 'rocker_worker';
  return u.toString();
}
