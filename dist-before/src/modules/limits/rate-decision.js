import { ProblemException } from '../../common/filters/problem.js';
/** Everything one request asks of the limiter: decided at once, in one Redis round trip. */
export class RatePlan {
    constructor(
    /** Whom the buckets belong to: the org id, or `user:<id>` for a caller without an org. */
    tracker, 
    /** The route's own policy (else the general one): the subject of X-RateLimit-*. */
    mainPolicy, 
    /** Metered units of this request (route cost function), for the quota-exceeded detail. */
    amount) {
        this.tracker = tracker;
        this.mainPolicy = mainPolicy;
        this.amount = amount;
        this.rates = [];
    }
}
const secs = (ms) => Math.max(0, Math.ceil(ms / 1000));
/**
 * SPEC §4: RateLimit-Policy and RateLimit for every policy decided, X-RateLimit-* for the policy
 * that refused (else the route's own). On a memo refusal only the refusing policy is known.
 */
export function rateHeaders(plan, v) {
    const policy = v.rates.map(({ check: c, limit, burst }) => {
        const extra = burst !== limit ? `;burst=${burst}` : '';
        return `"${c.policy}";q=${limit};w=${c.windowS}${extra}`;
    });
    const state = v.rates.map((o) => `"${o.check.policy}";r=${o.state.remaining};t=${secs(o.state.resetMs)}`);
    const main = refusedBy(v) ?? v.rates.find((o) => o.check.policy === plan.mainPolicy) ?? v.rates[0];
    const h = {
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
export function refusedBy(v) {
    return v.rates.find((o) => !o.fits && !o.check.dryRun);
}
/** A request costing more than a full bucket can never pass: 413, not a 429 to retry. */
export function tooLarge(plan) {
    const c = plan.rates.find((r) => r.cost > r.burst && !r.dryRun);
    if (!c)
        return undefined;
    return new ProblemException(413, 'payload-too-large', `this request costs ${c.cost} ${c.policy} units, more than the ${c.burst} that can pass at once`, { policy: c.policy });
}
/** The 429 for a refused verdict, with Retry-After = seconds until the request would pass. */
export function refusal(plan, v, headers) {
    const retry = (ms) => ({ ...headers, 'Retry-After': String(Math.max(1, secs(ms))) });
    const rate = refusedBy(v);
    if (rate) {
        const { check: c, limit } = rate;
        return new ProblemException(429, 'rate-limited', `the ${c.policy} limit (${limit} per ${c.windowS}s) is reached`, { policy: c.policy }, retry(rate.state.retryMs));
    }
    if (v.quota?.over && plan.quota) {
        const q = plan.quota;
        return new ProblemException(429, 'quota-exceeded', `the monthly ${q.unit} quota of this org (${q.limit}) is used up (${v.quota.used} used, this request needs ${q.cost})`, { policy: plan.mainPolicy, unit: q.unit, quota: q.limit, used: v.quota.used }, retry(v.quota.resetMs));
    }
    const s = plan.slot;
    return new ProblemException(429, 'rate-limited', `at most ${s.limit} ${s.policy} streams at a time for this org`, { policy: s.policy }, retry(1000));
}
//# sourceMappingURL=rate-decision.js.map