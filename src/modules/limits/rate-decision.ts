import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { ProblemException } from '../../common/filters/problem.js';
import { type Bucket, type BucketState } from './gcra.js';
import type { UsageUnit } from './limits.types.js';

/** One token bucket a request must fit in (an org's or a user's policy). */
export interface RateCheck {
  policy: RatePolicy;
  key: string;
  cost: number;
  limit: number;
  windowS: number;
  burst: number;
  dryRun: boolean;
}

/** The org's monthly quota of the route's unit. */
export interface QuotaCheck {
  unit: UsageUnit;
  key: string;
  cost: number;
  limit: number;
  /** Until the month ends (the counter's expiry). */
  ttlMs: number;
  /** Month-to-date usage flushed to Postgres, when this instance knows it (re-seeds a lost counter). */
  seed?: number;
}

/** An in-flight stream slot (tts): a lease, released when the response closes. */
export interface SlotClaim {
  policy: RatePolicy;
  key: string;
  limit: number;
  leaseMs: number;
  id: string;
}

/** Usage admitted with the request, counted in the org's pending hash until flushed to Postgres. */
export interface Metering {
  orgId: string;
  key: string;
  /** `day|unit` → amount. */
  entries: [string, number][];
}

/** Everything one request asks of the limiter: decided at once, in one Redis round trip. */
export class RatePlan {
  readonly rates: RateCheck[] = [];
  quota?: QuotaCheck;
  slot?: SlotClaim;
  metering?: Metering;

  constructor(
    /** Whom the buckets belong to: the org id, or `user:<id>` for a caller without an org. */
    readonly tracker: string,
    /** The route's own policy (else the general one): the subject of X-RateLimit-*. */
    readonly mainPolicy: RatePolicy,
    /** Metered units of this request (route cost function), for the quota-exceeded detail. */
    readonly amount: number,
  ) {}
}

export interface RateOutcome {
  check: RateCheck;
  /** The bucket applied: the policy's, or its per-instance share on the fallback. */
  bucket: Bucket;
  limit: number;
  burst: number;
  fits: boolean;
  state: BucketState;
}

export interface Verdict {
  admitted: boolean;
  rates: RateOutcome[];
  quota?: { used: number; over: boolean; resetMs: number };
  slotRefused: boolean;
  /** Decided in this process while Redis is unreachable: limits divided by the live instance count. */
  fallback?: { instances: number };
  /** Refused from this instance's memo, without asking Redis. */
  memo?: boolean;
}

const secs = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * SPEC §4: RateLimit-Policy and RateLimit for every policy decided, X-RateLimit-* for the policy
 * that refused (else the route's own). On a memo refusal only the refusing policy is known.
 */
export function rateHeaders(plan: RatePlan, v: Verdict): Record<string, string> {
  const policy = v.rates.map(({ check: c, limit, burst }) => {
    const extra = burst !== limit ? `;burst=${burst}` : '';
    return `"${c.policy}";q=${limit};w=${c.windowS}${extra}`;
  });
  const state = v.rates.map((o) => `"${o.check.policy}";r=${o.state.remaining};t=${secs(o.state.resetMs)}`);
  const main = refusedBy(v) ?? v.rates.find((o) => o.check.policy === plan.mainPolicy) ?? v.rates[0];
  const h: Record<string, string> = {
    'RateLimit-Policy': policy.join(', '),
    RateLimit: state.join(', '),
  };
  if (main) {
    h['X-RateLimit-Limit'] = String(main.limit);
    h['X-RateLimit-Remaining'] = String(main.state.remaining);
    h['X-RateLimit-Reset'] = String(secs(main.state.resetMs));
  }
  return h;
}

/** The first enforced policy the request did not fit in. */
export function refusedBy(v: Verdict): RateOutcome | undefined {
  return v.rates.find((o) => !o.fits && !o.check.dryRun);
}

/** A request costing more than a full bucket can never pass: 413, not a 429 to retry. */
export function tooLarge(plan: RatePlan): ProblemException | undefined {
  const c = plan.rates.find((r) => r.cost > r.burst && !r.dryRun);
  if (!c) return undefined;
  return new ProblemException(
    413,
    'payload-too-large',
    `this request costs ${c.cost} ${c.policy} units, more than the ${c.burst} that can pass at once`,
    { policy: c.policy },
  );
}

/** The 429 for a refused verdict, with Retry-After = seconds until the request would pass. */
export function refusal(plan: RatePlan, v: Verdict, headers: Record<string, string>): ProblemException {
  const retry = (ms: number) => ({ ...headers, 'Retry-After': String(Math.max(1, secs(ms))) });
  const rate = refusedBy(v);
  if (rate) {
    const { check: c, limit } = rate;
    return new ProblemException(
      429,
      'rate-limited',
      `the ${c.policy} limit (${limit} per ${c.windowS}s) is reached`,
      { policy: c.policy },
      retry(rate.state.retryMs),
    );
  }
  if (v.quota?.over && plan.quota) {
    const q = plan.quota;
    return new ProblemException(
      429,
      'quota-exceeded',
      `the monthly ${q.unit} quota of this org (${q.limit}) is used up (${v.quota.used} used, this request needs ${q.cost})`,
      { policy: plan.mainPolicy, unit: q.unit, quota: q.limit, used: v.quota.used },
      retry(v.quota.resetMs),
    );
  }
  const s = plan.slot!;
  return new ProblemException(
    429,
    'rate-limited',
    `at most ${s.limit} ${s.policy} streams at a time for this org`,
    { policy: s.policy },
    retry(1000),
  );
}

/**
 * The 429 of a protection bucket that is no org policy (bad tokens per address, refused bodies per
 * user): `policy` names it, `retryS` is when the next unit comes, `resetS` when it is full again.
 */
export function protectionRefusal(
  policy: string,
  detail: string,
  b: { limit: number; windowS: number; retryS: number; resetS: number },
): ProblemException {
  return new ProblemException(429, 'rate-limited', detail, { policy }, {
    'Retry-After': String(b.retryS),
    'RateLimit-Policy': `"${policy}";q=${b.limit};w=${b.windowS}`,
    RateLimit: `"${policy}";r=0;t=${b.resetS}`,
  });
}
