import type { TenantContext, TenantTransactions } from '../../tenancy/tenant-context.js';
import type { IngestHandler, IngestJobContext, JobKind } from './ingest.types.js';

export type JobFacts<K extends JobKind = JobKind> = Omit<IngestJobContext<K>, 'db' | 'signal'> & { signal?: AbortSignal };

export interface RunSteps {
  /** First statement of the commit transaction (the pipeline: lock the row, check the lease epoch). */
  before?: () => Promise<void>;
  /** Last one (the pipeline: the row's `succeeded`). */
  finish?: () => Promise<void>;
}

/** `p`, or the signal's reason as soon as it aborts (a handler that ignores the signal is not waited for). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e as Error)),
    );
  });
}

/**
 * Runs a handler the way the pipeline does: its reads and its slow work first (each read in a short
 * tenant transaction of its own, the slow work in none), then `before`, its write step and `finish`
 * together in one tenant transaction. Nothing is written if the handler throws, or if the signal
 * aborts before the commit begins (a commit already under way completes: it is short).
 */
export async function runJobHandler<K extends JobKind>(
  tenants: TenantTransactions,
  ctx: TenantContext,
  handler: IngestHandler<K>,
  job: JobFacts<K>,
  steps: RunSteps = {},
): Promise<void> {
  const signal = job.signal ?? new AbortController().signal;
  const commit = await untilAborted(
    handler.handle({ ...job, signal, db: (fn) => tenants.run(ctx, fn, 'job') }),
    signal,
  );
  signal.throwIfAborted();
  await tenants.run(
    ctx,
    async () => {
      if (steps.before) await steps.before();
      if (commit) await commit();
      if (steps.finish) await steps.finish();
    },
    'job',
  );
}
