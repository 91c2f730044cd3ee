import { Piscina } from 'piscina';
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import { FairScheduler, type ScheduleOptions } from './fair-scheduler.js';

export interface FairPoolOptions {
  /** Pool name, for errors and metrics (`html`, `pdf`, ...). */
  name: string;
  /** The worker module (packages only: it runs from src/ type-stripped and from dist/). */
  filename: URL;
  threads: number;
  maxQueuedPerOrg: number;
  /** Time limit from enqueue; a task past it has its thread terminated. */
  timeoutMs: number;
  resourceLimits?: ResourceLimits;
  /** How long an idle thread is kept warm. */
  idleTimeoutMs?: number;
  /** Nice value of the pool's threads (ENGINE_NICE); the worker module applies it to its own thread. */
  nice?: number;
}

/**
 * CPU-heavy work off the event loop, shared fairly across orgs: a piscina worker-thread pool
 * (threads started on demand, a capped heap each) behind a FairScheduler with one slot per thread,
 * so piscina itself never queues. A task past its time limit, or abandoned by its caller, has its
 * thread terminated (piscina aborts a running task by stopping the thread), so a hostile input
 * can neither hang a thread nor keep a slot.
 */
export class FairPool {
  private readonly pool: Piscina;
  readonly scheduler: FairScheduler;

  constructor(opts: FairPoolOptions) {
    this.pool = new Piscina({
      filename: opts.filename.href,
      minThreads: 0,
      maxThreads: opts.threads,
      idleTimeout: opts.idleTimeoutMs ?? 60_000,
      resourceLimits: opts.resourceLimits,
      atomics: 'disabled',
      execArgv: [],
      workerData: { nice: opts.nice ?? 0 },
    });
    this.scheduler = new FairScheduler({
      name: opts.name,
      slots: opts.threads,
      maxQueuedPerOrg: opts.maxQueuedPerOrg,
      timeoutMs: opts.timeoutMs,
    });
  }

  /** Runs the worker's export `fn` on `task` in the org's turn. */
  run<R>(
    key: string,
    fn: string,
    task: unknown,
    opts: ScheduleOptions & { transferList?: TransferListItem[] } = {},
  ): Promise<R> {
    return this.scheduler.run(
      key,
      (signal) =>
        this.pool.run(task, { name: fn, signal, transferList: opts.transferList as never }) as Promise<R>,
      opts,
    );
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
