import { ProblemException } from '../filters/problem.js';
/** Request work goes ahead of background (job) work on a shared engine of the same process. */
export var WorkClass;
(function (WorkClass) {
    WorkClass[WorkClass["Request"] = 0] = "Request";
    WorkClass[WorkClass["Job"] = 1] = "Job";
})(WorkClass || (WorkClass = {}));
/** Refused at enqueue: this org already has its bound of work waiting for the engine. */
export class EngineBusyError extends ProblemException {
    constructor(engine, retryAfterS) {
        super(429, 'overloaded', `too much of your org's work is waiting for the ${engine} engine; retry later`, { engine }, { 'Retry-After': String(retryAfterS) });
    }
}
/**
 * The time limit, counted from enqueue, passed before the work finished (or, with `waiting`, before
 * it started). `ranMs` says how long the work itself had run (undefined: it never started), so a
 * caller can tell an input that takes too long (its own fault, e.g. 422) from a busy engine (503,
 * worth retrying).
 */
export class EngineTimeoutError extends ProblemException {
    constructor(engine, limitMs, waiting = false, ranMs) {
        super(503, 'engine-timeout', waiting
            ? `the ${engine} engine had no free slot within ${limitMs} ms`
            : `the ${engine} engine did not finish within ${limitMs} ms`, { engine }, { 'Retry-After': '1' });
        this.limitMs = limitMs;
        this.ranMs = ranMs;
    }
    /** The work itself ran for at least half the limit: the input is too slow, waiting did not cause it. */
    overran() {
        return this.ranMs !== undefined && this.ranMs >= this.limitMs / 2;
    }
}
/**
 * A shared engine (the embedding model, OCR slots, a parser pool, the database pool) served
 * fairly across orgs inside one process. Each org has its own bounded queue; when a slot frees,
 * it goes to request work before job work, and within a class to the waiting org that holds the
 * fewest slots, ties to the one served longest ago (round-robin). An org alone may use every slot (work conserving); while
 * others wait it gets a slot back only when it holds no more than they do. With `spare` slots, a
 * request of an org holding none starts at once even while another org holds every slot; and each
 * work learns its rank within its org, so an engine can run an org's second and later tasks at a
 * lower CPU priority than anyone's first. Time limits count from enqueue, so a call never waits
 * forever behind someone else's work.
 */
export class FairScheduler {
    constructor(opts) {
        this.opts = opts;
        this.orgs = new Map();
        /** Orgs that have waiting work. */
        this.ring = [];
        this.running = 0;
        this.seq = 0;
        /** Mean run time of recent work, for Retry-After. */
        this.meanRunMs = 100;
        if (opts.slots < 1)
            throw new Error(`${opts.name}: slots must be at least 1`);
    }
    get name() {
        return this.opts.name;
    }
    /** Slots in use, and waiting work per org (for metrics and tests). */
    stats() {
        const waiting = {};
        const runningByOrg = {};
        for (const [k, s] of this.orgs) {
            const n = s.waiting[0].length + s.waiting[1].length;
            if (n)
                waiting[k] = n;
            if (s.running)
                runningByOrg[k] = s.running;
        }
        return { running: this.running, waiting, runningByOrg };
    }
    /**
     * Runs `work` when this org's turn comes. `key` names who pays: an org id, or `user:<id>` for a
     * caller without one. The signal given to `work` aborts when the time limit passes; `rank` is how
     * many slots the org already held when this work got its own (0: its only one), so an engine can
     * run an org's extra work at a lower priority than every org's first.
     */
    async run(key, work, o = {}) {
        const cls = o.cls ?? WorkClass.Request;
        const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs ?? 0;
        // Without a time limit or a caller's signal nothing can abort the work: no controller, timer or
        // race is built for it (the database engine runs every request this way, usually on a free slot).
        const ac = timeoutMs > 0 || o.signal ? new AbortController() : undefined;
        const onOuterAbort = () => ac.abort(o.signal?.reason);
        if (o.signal?.aborted)
            onOuterAbort();
        else
            o.signal?.addEventListener('abort', onOuterAbort, { once: true });
        let timer;
        let timedOut = false;
        let began;
        if (timeoutMs > 0) {
            timer = setTimeout(() => {
                timedOut = true;
                ac.abort(new EngineTimeoutError(this.opts.name, timeoutMs));
            }, timeoutMs);
            timer.unref();
        }
        try {
            ac?.signal.throwIfAborted();
            const rank = this.tryTake(key, cls) ?? (await this.wait(key, cls, ac?.signal, o.maxWaitMs));
            const start = (began = performance.now());
            // The slot is held until the work itself settles, even when the caller stops waiting for it
            // (a model call cannot always be interrupted): a timed-out call never over-commits the engine.
            const done = work(ac?.signal ?? NEVER_ABORTED, rank).finally(() => {
                this.meanRunMs = this.meanRunMs * 0.8 + (performance.now() - start) * 0.2;
                this.release(key);
            });
            if (!ac)
                return await done;
            done.catch(() => undefined);
            return await raceAbort(done, ac.signal);
        }
        catch (e) {
            if (timedOut)
                throw new EngineTimeoutError(this.opts.name, timeoutMs, false, began === undefined ? undefined : performance.now() - began);
            throw e;
        }
        finally {
            clearTimeout(timer);
            o.signal?.removeEventListener('abort', onOuterAbort);
        }
    }
    state(key) {
        let s = this.orgs.get(key);
        if (!s) {
            s = { running: 0, servedAt: 0, waiting: [[], []] };
            this.orgs.set(key, s);
        }
        return s;
    }
    /**
     * A slot at once when one is free (or a spare one for a newcomer's request) and nobody waits;
     * undefined when the work must queue; EngineBusyError when the org's queue is full.
     */
    tryTake(key, cls) {
        const s = this.state(key);
        const queued = s.waiting[0].length + s.waiting[1].length;
        if (this.running < this.opts.slots && this.ring.length === 0)
            return this.take(s);
        if (cls === WorkClass.Request &&
            s.running === 0 &&
            queued === 0 &&
            this.running < this.opts.slots + (this.opts.spare ?? 0))
            return this.take(s);
        if (queued >= this.opts.maxQueuedPerOrg) {
            this.forget(key, s);
            throw new EngineBusyError(this.opts.name, this.retryAfterS(queued + s.running));
        }
        return undefined;
    }
    /**
     * Queues for this org's turn; resolves with the work's rank once it holds a slot. `maxWaitMs`
     * bounds the wait alone (EngineTimeoutError with `waiting`); `signal` aborts it.
     */
    wait(key, cls, signal, maxWaitMs) {
        const s = this.state(key);
        return new Promise((resolve, reject) => {
            let waitTimer;
            const settle = () => {
                clearTimeout(waitTimer);
                signal?.removeEventListener('abort', onAbort);
            };
            const w = {
                key,
                cls,
                start: (rank) => {
                    settle();
                    resolve(rank);
                },
                fail: reject,
            };
            const leave = (reason) => {
                settle();
                const list = s.waiting[cls];
                const i = list.indexOf(w);
                if (i >= 0)
                    list.splice(i, 1);
                if (!s.waiting[0].length && !s.waiting[1].length)
                    this.dropFromRing(key);
                this.forget(key, s);
                reject(reason instanceof Error ? reason : new Error(String(reason)));
            };
            const onAbort = () => leave(signal.reason);
            signal?.addEventListener('abort', onAbort, { once: true });
            if (maxWaitMs !== undefined && maxWaitMs > 0) {
                waitTimer = setTimeout(() => leave(this.waitedTooLong(s, maxWaitMs)), maxWaitMs);
                waitTimer.unref();
            }
            s.waiting[cls].push(w);
            if (!this.ring.includes(key))
                this.ring.push(key);
            this.dispatch();
        });
    }
    /**
     * A wait for a slot ran past `maxWaitMs`. An org holding at least its share of the slots waited
     * behind its own work: that is its excess, refused as 429 overloaded (the same answer as a full
     * queue). An org holding less waited behind others or a stalled engine: 503, worth retrying.
     */
    waitedTooLong(s, maxWaitMs) {
        const share = Math.ceil(this.opts.slots / Math.max(1, this.orgs.size));
        if (s.running < share)
            return new EngineTimeoutError(this.opts.name, maxWaitMs, true);
        const queued = s.waiting[0].length + s.waiting[1].length;
        return new EngineBusyError(this.opts.name, this.retryAfterS(queued + s.running));
    }
    /** Seconds until `ahead` units of an org's work have likely run (at least 1), for Retry-After. */
    retryAfterS(ahead) {
        return Math.max(1, Math.ceil((ahead * this.meanRunMs) / this.opts.slots / 1000));
    }
    /** Gives `s` a slot; returns the slot's rank (how many the org held before it). */
    take(s) {
        s.servedAt = ++this.seq;
        this.running++;
        return s.running++;
    }
    release(key) {
        const s = this.orgs.get(key);
        if (s) {
            s.running--;
            this.running--;
            this.forget(key, s);
        }
        this.dispatch();
    }
    /** Hands free slots to waiting work: request class first, then the org holding the fewest slots. */
    dispatch() {
        while (this.running < this.opts.slots && this.ring.length) {
            const next = this.pick();
            if (!next)
                return;
            const { key, s, cls } = next;
            const w = s.waiting[cls].shift();
            if (!s.waiting[0].length && !s.waiting[1].length)
                this.dropFromRing(key);
            w.start(this.take(s));
        }
    }
    pick() {
        for (const cls of [WorkClass.Request, WorkClass.Job]) {
            let best;
            for (const key of this.ring) {
                const s = this.orgs.get(key);
                if (!s.waiting[cls].length)
                    continue;
                if (!best ||
                    s.running < best.s.running ||
                    (s.running === best.s.running && s.servedAt < best.s.servedAt)) {
                    best = { key, s };
                }
            }
            if (best)
                return { ...best, cls };
        }
        return undefined;
    }
    dropFromRing(key) {
        const i = this.ring.indexOf(key);
        if (i >= 0)
            this.ring.splice(i, 1);
    }
    forget(key, s) {
        if (!s.running && !s.waiting[0].length && !s.waiting[1].length)
            this.orgs.delete(key);
    }
}
/** The signal given to work that nothing can abort. */
const NEVER_ABORTED = new AbortController().signal;
/** Settles with `p`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort(p, signal) {
    if (signal.aborted)
        return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        p.then((v) => (signal.removeEventListener('abort', onAbort), resolve(v)), (e) => (signal.removeEventListener('abort', onAbort), reject(e)));
    });
}
/** Who pays for work on a shared engine: the org, else the user (a caller without an org), else the system. */
export function fairKey(ctx) {
    if (ctx?.orgId)
        return ctx.orgId;
    return ctx?.userId ? `user:${ctx.userId}` : 'system';
}
//# sourceMappingURL=fair-scheduler.js.map