import { describe, expect, it } from 'vitest';
import { RateBudget } from './rate-budget.js';

describe(RateBudget.name, () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('lets an org start while its bucket holds anything; a long run is paid for by the wait after it', () => {
    const c = clock();
    const b = new RateBudget(250, c.now);
    expect(b.allows('a')).toBe(true);
    b.spend('a', 250); // a whole second's worth at once
    expect(b.allows('a')).toBe(false);
    expect(b.waitMs('a')).toBe(4); // one millisecond of budget refills in 4 ms
    c.advance(4);
    expect(b.allows('a')).toBe(true);
    b.spend('a', 250); // ran long again: now 249 ms in debt
    c.advance(990);
    expect(b.allows('a')).toBe(false);
    c.advance(10);
    expect(b.allows('a')).toBe(true);
  });

  it('over a stretch gives an org at most its share of every second, and other orgs their own', () => {
    const c = clock();
    const b = new RateBudget(250, c.now);
    let spent = 0;
    // org a runs 100 ms whenever it may, for 10 s
    while (c.now() < 10_000) {
      if (b.allows('a')) {
        b.spend('a', 100);
        spent += 100;
      }
      c.advance(100);
    }
    expect(spent).toBeLessThanOrEqual(250 * 10 + 250 + 100);
    expect(spent).toBeGreaterThanOrEqual(250 * 10 - 100);
    expect(b.allows('b')).toBe(true); // untouched by a's spending
  });

  it('a bucket refills to one second, no more', () => {
    const c = clock();
    const b = new RateBudget(250, c.now);
    b.spend('a', 10);
    c.advance(60_000);
    b.spend('a', 250);
    expect(b.allows('a')).toBe(false);
  });
});
