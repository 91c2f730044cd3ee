/**
 * Tells a wedged BullMQ worker from an idle or busy one. A worker is wedged when jobs have waited,
 * ready for any worker, for `stallMs` while it had room for more and started none: a live worker
 * takes a ready job within BullMQ's drain delay (5 s) at worst. Seen after a Redis Cluster failover
 * on a loaded box: every worker reported running and every client ready, yet ~50 jobs stayed
 * waiting for good (BullMQ's maintainers advise closing such a worker and creating a new one:
 * taskforcesh/bullmq#3185, #4138). Pure: the caller reads the queue and replaces the worker.
 */
export class WorkerWatchdog {
    constructor(stallMs, now = Date.now) {
        this.stallMs = stallMs;
        this.now = now;
        /** Per kind: since when jobs have been seen ready with room to take them, and the start counter then. */
        this.seen = new Map();
    }
    /** One check of `kind`'s worker, `ready` jobs waiting in its queue; true when the worker is wedged. */
    check(kind, ready, w) {
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
        if (now - s.since < this.stallMs)
            return false;
        this.seen.delete(kind);
        return true;
    }
}
//# sourceMappingURL=worker-watchdog.js.map