import { describe, expect, it } from 'vitest';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { bucketOf, stateOf, take } from './gcra.js';
import { RatePlan, rateHeaders, refusal, tooLarge, type RateCheck, type Verdict } from './rate-decision.js';

const check = (over: Partial<RateCheck> = {}): RateCheck => ({
  policy: RatePolicy.Embeddings,
  key: 'k',
  cost: 1,
  limit: 5,
  windowS: 60,
  burst: 5,
  dryRun: false,
  ...over,
});

describe('GCRA', () => {
  it('5 per minute: 5 pass at once with remaining 4..0, the 6th waits 12 s for one token', () => {
    const b = bucketOf(5, 60_000);
    let tat = 0;
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = take(b, tat, 1);
      expect(r.fits).toBe(true);
      tat = r.tatMs;
      remaining.push(stateOf(b, tat, 1).remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const sixth = take(b, tat, 1);
    expect(sixth).toEqual({ fits: false, tatMs: 60_000 });
    expect(stateOf(b, tat, 1)).toMatchObject({ remaining: 0, resetMs: 60_000 });
    expect(stateOf(b, tat, 1).retryMs).toBeCloseTo(12_000, 1);
    // 12 s later exactly one passes: the TAT is relative to now, so it moved 12 s closer
    expect(take(b, tat - 12_000, 1).fits).toBe(true);
    expect(take(b, tat - 11_990, 1).fits).toBe(false);
  });

  it('a request of cost c needs c tokens; the headers stay true for requests of one', () => {
    const b = bucketOf(10, 10_000); // a token per second
    const r = take(b, 0, 7);
    expect(r).toEqual({ fits: true, tatMs: 7000 });
    expect(stateOf(b, r.tatMs, 1).remaining).toBe(3);
    expect(take(b, r.tatMs, 4).fits).toBe(false);
    expect(stateOf(b, r.tatMs, 4).retryMs).toBeCloseTo(1000, 1);
    expect(take(b, r.tatMs, 3).fits).toBe(true);
  });

  it('burst below the limit: fewer at once, the same rate; a full bucket resets at 0', () => {
    const b = bucketOf(60, 60_000, 2);
    expect(take(b, 0, 1).fits).toBe(true);
    expect(take(b, 1000, 1).fits).toBe(true);
    expect(take(b, 2000, 1).fits).toBe(false);
    expect(stateOf(b, -5000, 1)).toEqual({ remaining: 2, resetMs: 0, retryMs: 0 });
  });

  it('uneven intervals (7 per minute) count exactly to 0', () => {
    const b = bucketOf(7, 60_000);
    let tat = 0;
    for (let i = 0; i < 7; i++) tat = take(b, tat, 1).tatMs;
    expect(stateOf(b, tat, 1).remaining).toBe(0);
    expect(take(b, tat, 1).fits).toBe(false);
  });
});

describe(rateHeaders.name, () => {
  const verdict = (fits: boolean, tatMs: number, c = check()): Verdict => {
    const bucket = bucketOf(c.limit, c.windowS * 1000, c.burst);
    return {
      admitted: fits,
      slotRefused: false,
      rates: [
        { check: c, bucket, limit: c.limit, burst: c.burst, fits, state: stateOf(bucket, tatMs, c.cost) },
      ],
    };
  };

  it('names every policy decided and the route policy in X-RateLimit-*', () => {
    const plan = new RatePlan('org', RatePolicy.Embeddings, 1);
    const api = check({ policy: RatePolicy.Api, limit: 6000, burst: 6000 });
    const emb = check({ burst: 2 });
    const b1 = bucketOf(6000, 60_000);
    const b2 = bucketOf(5, 60_000, 2);
    const h = rateHeaders(plan, {
      admitted: true,
      slotRefused: false,
      rates: [
        { check: api, bucket: b1, limit: 6000, burst: 6000, fits: true, state: stateOf(b1, 10, 1) },
        { check: emb, bucket: b2, limit: 5, burst: 2, fits: true, state: stateOf(b2, 12_000, 1) },
      ],
    });
    expect(h).toEqual({
      'RateLimit-Policy': '"api";q=6000;w=60, "embeddings";q=5;w=60;burst=2',
      RateLimit: '"api";r=5999;t=1, "embeddings";r=1;t=12',
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '1',
      'X-RateLimit-Reset': '12',
    });
  });

  it('a refusal carries Retry-After = seconds until the request passes, at least 1', () => {
    const plan = new RatePlan('org', RatePolicy.Embeddings, 1);
    const v = verdict(false, 60_000);
    const e = refusal(plan, v, rateHeaders(plan, v));
    expect(e.getStatus()).toBe(429);
    expect(e.slug).toBe('rate-limited');
    expect(e.headers).toMatchObject({ 'Retry-After': '12', RateLimit: '"embeddings";r=0;t=60' });
    const soon = verdict(false, 48_500);
    expect(refusal(plan, soon, {}).headers['Retry-After']).toBe('1');
  });

  it('a request larger than the bucket is 413, not a 429 to retry', () => {
    const plan = new RatePlan('org', RatePolicy.Embeddings, 6);
    plan.rates.push(check({ cost: 6 }));
    expect(tooLarge(plan)?.getStatus()).toBe(413);
    plan.rates[0].dryRun = true;
    expect(tooLarge(plan)).toBeUndefined();
  });
});
