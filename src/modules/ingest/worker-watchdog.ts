/** What the watchdog reads of one worker at a check. */
export interface WorkerState {
  /** Jobs this process's worker for the kind has started so far (a counter that only grows). */
  started: number;
  /** Jobs it is running now. */
  running: number;
  /** Jobs it may run at once. */
  concurrency: number;
}

/**
 * Tells a wedged BullMQ worker from an idle or busy one. A worker is wedged when jobs have waited,
 * ready for any worker, for `stallMs` while it had room for more and started none: a live worker
 * takes a ready job within BullMQ's drain delay (5 s) at worst. Seen after a Redis Cluster failover
 * on a loaded box: every worker reported running and every client ready, yet ~50 jobs stayed
 * waiting for good (BullMQ's maintainers advise closing such a worker and creating a new one:
 * taskforcesh/bullmq#3185, #4138). Pure: the caller reads the queue and replaces the worker.
 */
export class WorkerWatchdog<K> {
  /** Per kind: since when jobs have been seen ready with room to take them, and the start counter then. */
  private readonly seen = new Map<K, { since: number; started: number }>();

  constructor(
    private readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** One check of `kind`'s worker, `ready` jobs waiting in its queue; true when the worker is wedged. */
  check(kind: K, ready: number, w: WorkerState): boolean {
    if (ready === 0 || w.running >= w.concurrency) {
      this.seen.delete(kind);
      return false;
    }
    const now = this.now();
    const s = this.seen.get(kind);
    if (!s || s.started !== w.started) {
      this.seen.set(kind, { since: now, started: w.started });
      return false;
    }
    if (now - s.since < this.stallMs) return false;
    this.seen.delete(kind);
    return true;
  }
}
