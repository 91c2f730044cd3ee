/**
 * A token bucket kept as GCRA (generic cell rate algorithm): one number per bucket, its theoretical
 * arrival time (TAT). A bucket of `burst` tokens refills one token every `intervalMs` = window /
 * limit; a request of cost c passes when TAT + c × interval − tolerance ≤ now, where tolerance =
 * burst × interval (a full bucket). The Lua script in rate-limit.storage.ts decides with the same
 * comparison; every figure a client sees (remaining, reset, retry-after) is computed here.
 */
export interface Bucket {
  intervalMs: number;
  toleranceMs: number;
}

/** Float slack (ms) shared with the script, so "r=n" and "n more pass" agree at the boundaries. */
export const GCRA_EPSILON_MS = 0.001;

export function bucketOf(limit: number, windowMs: number, burst = limit): Bucket {
  const intervalMs = windowMs / limit;
  return { intervalMs, toleranceMs: intervalMs * burst };
}

export interface BucketState {
  /** Requests of cost 1 that pass right now. */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until a request of `cost` passes (0: it passes now). */
  retryMs: number;
}

/** What a bucket whose TAT lies `tatMs` from now says to a request of `cost`. */
export function stateOf(b: Bucket, tatMs: number, cost: number): BucketState {
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
export function take(b: Bucket, tatMs: number, cost: number): { fits: boolean; tatMs: number } {
  const tat = Math.max(0, tatMs);
  const next = tat + cost * b.intervalMs;
  const fits = next - b.toleranceMs <= GCRA_EPSILON_MS;
  return { fits, tatMs: fits ? next : tat };
}
