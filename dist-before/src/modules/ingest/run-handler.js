/** `p`, or the signal's reason as soon as it aborts (a handler that ignores the signal is not waited for). */
export function untilAborted(p, signal) {
    if (signal.aborted) {
        p.catch(() => undefined);
        return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        p.then((v) => (signal.removeEventListener('abort', onAbort), resolve(v)), (e) => (signal.removeEventListener('abort', onAbort), reject(e)));
    });
}
/**
 * Runs a handler the way the pipeline does: its reads and its slow work first (each read in a short
 * tenant transaction of its own, the slow work in none), then `before`, its write step and `finish`
 * together in one tenant transaction. Nothing is written if the handler throws, or if the signal
 * aborts before the commit begins (a commit already under way completes: it is short).
 */
export async function runJobHandler(tenants, ctx, handler, job, steps = {}) {
    const signal = job.signal ?? new AbortController().signal;
    const commit = await untilAborted(handler.handle({ ...job, signal, db: (fn) => tenants.run(ctx, fn, 'job') }), signal);
    signal.throwIfAborted();
    await tenants.run(ctx, async () => {
        if (steps.before)
            await steps.before();
        if (commit)
            await commit();
        if (steps.finish)
            await steps.finish();
    }, 'job');
}
//# sourceMappingURL=run-handler.js.map