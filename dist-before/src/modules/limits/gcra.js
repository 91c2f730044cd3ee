/** Float slack (ms) shared with the script, so "r=n" and "n more pass" agree at the boundaries. */
export const GCRA_EPSILON_MS = 0.001;
export function bucketOf(limit, windowMs, burst = limit) {
    const intervalMs = windowMs / limit;
    return { intervalMs, toleranceMs: intervalMs * burst };
}
/** What a bucket whose TAT lies `tatMs` from now says to a request of `cost`. */
export function stateOf(b, tatMs, cost) {
    const tat = Math.max(0, tatMs);
    return {
        remaining: Math.max(0, Math.floor((b.toleranceMs + GCRA_EPSILON_MS - tat) / b.intervalMs)),
        resetMs: tat,
        retryMs: Math.max(0, tat + cost * b.intervalMs - b.toleranceMs - GCRA_EPSILON_MS),
    };
}
/**
 * One decision on a bucket (the in-process fallback's, and the reference for the script): `tatMs`
 * is the stored TAT relative to now (≤ 0 when the bucket is full). Answers whether it fits and the
 * TAT after the decision (advanced by the cost when it fits).
 */
export function take(b, tatMs, cost) {
    const tat = Math.max(0, tatMs);
    const next = tat + cost * b.intervalMs;
    const fits = next - b.toleranceMs <= GCRA_EPSILON_MS;
    return { fits, tatMs: fits ? next : tat };
}
//# sourceMappingURL=gcra.js.map