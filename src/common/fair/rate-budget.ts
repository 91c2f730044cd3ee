/**
 * What an org may spend of one engine of this process, per second: a token bucket whose tokens are
 * the engine's unit (milliseconds of its time, bytes it writes). It holds at most one second's worth
 * (`perSecond`) and refills at that rate; work may start while the org's bucket holds anything, and
 * what it then took is spent after it ends (the bucket may go below zero, so a long run is paid for
 * by the wait after it). Over any stretch an org thus gets at most perSecond of every second, plus
 * one second's worth up front.
 */
export class RateBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether `key` may start work now (its bucket is not empty). */
  allows(key: string): boolean {
    return this.level(key) > 0;
  }

  /** `key` spent `units` of the engine. */
  spend(key: string, units: number): void {
    const tokens = this.level(key) - units;
    this.buckets.set(key, { tokens, at: this.now() });
    if (this.buckets.size > 10_000) this.prune();
  }

  /** Milliseconds until `key`'s bucket holds anything again (0: it may start now). */
  waitMs(key: string): number {
    const level = this.level(key);
    return level > 0 ? 0 : ((-level + 1) * 1000) / this.perSecond;
  }

  private level(key: string): number {
    const b = this.buckets.get(key);
    if (!b) return this.perSecond;
    return Math.min(this.perSecond, b.tokens + ((this.now() - b.at) * this.perSecond) / 1000);
  }

  /** Full buckets are the same as none. */
  private prune(): void {
    for (const key of [...this.buckets.keys()]) if (this.level(key) >= this.perSecond) this.buckets.delete(key);
  }
}
