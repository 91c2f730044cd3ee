/**
 * Time an org may spend on one engine of this process, per second: a token bucket whose tokens are
 * milliseconds. It holds at most one second's worth (`msPerSecond`) and refills at that rate; work
 * may start while the org's bucket holds anything, and what it then took is spent after it ends
 * (the bucket may go below zero, so a long run is paid for by the wait after it). Over any stretch
 * an org thus gets at most msPerSecond of every second, plus one second's worth up front.
 */
export class TimeBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly msPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether `key` may start work now (its bucket is not empty). */
  allows(key: string): boolean {
    return this.level(key) > 0;
  }

  /** `key` spent `ms` of the engine's time. */
  spend(key: string, ms: number): void {
    const tokens = this.level(key) - ms;
    this.buckets.set(key, { tokens, at: this.now() });
    if (this.buckets.size > 10_000) this.prune();
  }

  /** Milliseconds until `key`'s bucket holds anything again (0: it may start now). */
  waitMs(key: string): number {
    const level = this.level(key);
    return level > 0 ? 0 : ((-level + 1) * 1000) / this.msPerSecond;
  }

  private level(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return this.msPerSecond;
    return Math.min(this.msPerSecond, b.tokens + ((this.now() - b.at) * this.msPerSecond) / 1000);
  }

  /** Full buckets are the same as none. */
  private prune(): void {
    for (const key of [...this.buckets.keys()]) if (this.level(key) >= this.msPerSecond) this.buckets.delete(key);
  }
}
