import { Piscina } from 'piscina';
import { FairScheduler } from './fair-scheduler.js';
/**
 * How much lower an org's second and later concurrent tasks run than every org's first (nice
 * steps, capped at 19): an org holding several threads cannot take the CPU from another org's one.
 */
export const EXTRA_WORK_NICE = 9;
/** The nice value of work of `rank` (0: the org's first task running) on an engine at `base`. */
export const niceOfRank = (base, rank) => rank === 0 ? base : Math.min(19, base + EXTRA_WORK_NICE);
/**
 * CPU-heavy work off the event loop, shared fairly across orgs: piscina worker-thread pools
 * (threads started on demand, a capped heap each) behind a FairScheduler with one slot per thread,
 * so piscina itself never queues. Each org's first running task goes to the `lead` threads (at the
 * engine's nice value), its second and later ones to the `extra` threads (EXTRA_WORK_NICE lower),
 * and a request of an org holding none gets a spare thread at once: a second org's small task
 * neither waits out nor shares the CPU evenly with one org's pile of heavy ones. A task past its
 * time limit, or abandoned by its caller, has its thread terminated (piscina aborts a running task
 * by stopping the thread), so a hostile input can neither hang a thread nor keep a slot.
 */
export class FairPool {
    constructor(opts) {
        const spare = opts.spare ?? 1;
        const base = opts.nice ?? 0;
        const pool = (maxThreads, nice, minThreads = 0) => new Piscina({
            filename: opts.filename.href,
            minThreads: Math.min(minThreads, Math.max(1, maxThreads)),
            maxThreads: Math.max(1, maxThreads),
            idleTimeout: opts.idleTimeoutMs ?? 60_000,
            resourceLimits: opts.resourceLimits,
            atomics: 'disabled',
            execArgv: [],
            workerData: { nice },
        });
        // every running org's first task may be a lead one; one org's others at most threads - 1
        this.lead = pool(opts.threads + spare, base, opts.warm ?? 0);
        this.extra = pool(opts.threads - 1, niceOfRank(base, 1));
        this.scheduler = new FairScheduler({
            name: opts.name,
            slots: opts.threads,
            spare,
            maxQueuedPerOrg: opts.maxQueuedPerOrg,
            timeoutMs: opts.timeoutMs,
        });
    }
    /** Runs the worker's export `fn` on `task` in the org's turn. */
    run(key, fn, task, opts = {}) {
        return this.scheduler.run(key, (signal, rank) => (rank === 0 ? this.lead : this.extra).run(task, {
            name: fn,
            signal,
            transferList: opts.transferList,
        }), opts);
    }
    /** Threads started (both kinds). */
    get threads() {
        return this.lead.threads.length + this.extra.threads.length;
    }
    async close() {
        await Promise.all([this.lead.destroy(), this.extra.destroy()]);
    }
}
//# sourceMappingURL=fair-pool.js.map