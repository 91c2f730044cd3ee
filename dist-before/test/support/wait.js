/**
 * The one polling helper for tests (no sleeps as synchronisation): calls fn until it returns a
 * truthy value and returns that value. An error fn throws counts as "not yet" and is reported if
 * the bound passes; fn is called once more after the bound before giving up.
 */
export async function until(fn, timeoutMs = 15_000, what = 'a condition', everyMs = 25) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            const v = await fn();
            if (v)
                return v;
        }
        catch (e) {
            last = e;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
    }
}
//# sourceMappingURL=wait.js.map