import type { TenantContext, TenantTransactions } from '../../tenancy/tenant-context.js';
import type { IngestHandler, IngestJobContext } from './ingest.types.js';

export type JobFacts = Omit<IngestJobContext, 'db'>;

/**
 * Runs a handler the way the pipeline does: its reads and its slow work first (each read in a short
 * tenant transaction of its own, the slow work in none), then its write step and `finish` (the
 * pipeline's "job succeeded") together in one tenant transaction. Nothing is written if the
 * handler throws.
 */
export async function runJobHandler(
  tenants: TenantTransactions,
  ctx: TenantContext,
  handler: IngestHandler,
  job: JobFacts,
  finish?: () => Promise<void>,
): Promise<void> {
  const commit = await handler.handle({ ...job, db: (fn) => tenants.run(ctx, fn, 'job') });
  await tenants.run(
    ctx,
    async () => {
      if (commit) await commit();
      if (finish) await finish();
    },
    'job',
  );
}
