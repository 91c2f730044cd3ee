var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Inject, Injectable } from '@nestjs/common';
import { rateLimitDecisions } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { LimitsConfig } from '../../config/slices.js';
import { LimitsService } from './limits.service.js';
import { POLICY_UNIT, dayKey, monthKey, msToMonthEnd, rateCost } from './limits.types.js';
import { RatePlan, rateHeaders, refusal } from './rate-decision.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UsageService } from './usage.service.js';
/** Adds to a plan the org's monthly quota of `unit` and the usage to meter when it is admitted. */
export function addUsage(plan, storage, orgId, limits, unit, amount) {
    if (!(amount > 0))
        return;
    const now = new Date();
    plan.metering = { orgId, key: storage.pendingKey(orgId), entries: [[`${dayKey(now)}|${unit}`, amount]] };
    const limit = limits.quotas[unit];
    if (limit !== null)
        plan.quota = { unit, key: storage.quotaKey(orgId, unit, monthKey(now)), cost: amount, limit, ttlMs: msToMonthEnd(now) };
}
/**
 * Costs charged where they are spent, when the route alone does not name them: a knowledge item
 * from a URL (`crawl`), an upload that turns out to need OCR or PDF parsing (`ocr`), a manual retry
 * of a failed job. The same decision as the limiter's guard (the policy's token bucket, the monthly
 * quota of its unit, the metering, one Redis round trip); the general `api` bucket was taken by
 * the guard already.
 */
let Charges = class Charges {
    constructor(storage, limits, usage, limitsConfig) {
        this.storage = storage;
        this.limits = limits;
        this.usage = usage;
        this.limitsConfig = limitsConfig;
    }
    /**
     * Charges `amount` units of `policy` to the caller's org before the work: 429 `rate-limited` or
     * `quota-exceeded` (with RateLimit headers and Retry-After) when it does not fit, and then
     * nothing is consumed. Answers the policy's RateLimit headers.
     */
    async charge(ctx, policy, amount) {
        if (!this.limitsConfig.enabled || !ctx.orgId)
            return {};
        const orgId = ctx.orgId;
        const limits = await this.limits.forTenant(ctx);
        const cfg = limits.policies[policy];
        const plan = new RatePlan(orgId, policy, amount);
        plan.rates.push(this.rateCheck(orgId, policy, amount, cfg));
        const unit = POLICY_UNIT[policy];
        if (unit)
            addUsage(plan, this.storage, orgId, limits, unit, amount);
        const verdict = await this.storage.decide(plan, unit ? () => this.usage.monthToDate(orgId, unit) : undefined);
        this.count(orgId, policy, verdict);
        const headers = rateHeaders(plan, verdict);
        if (!verdict.admitted)
            throw refusal(plan, verdict, headers);
        return headers;
    }
    /** The org's bucket of `policy`, charged `amount` of its unit. */
    rateCheck(orgId, policy, amount, cfg) {
        return {
            policy,
            key: this.storage.bucketKey(orgId, policy),
            cost: rateCost(policy, amount),
            limit: cfg.limit,
            windowS: cfg.window_s,
            burst: cfg.burst,
            dryRun: cfg.dry_run,
        };
    }
    /**
     * Charges work already done, whose size was known only once it ran (a PDF's pages past the first,
     * charged before parsing): metered and counted against the quota, and taken from the bucket
     * even past empty, so the org's next requests wait until it is repaid. Never refused: the work
     * is done, and refusing now would throw it away. Answers the policy's RateLimit headers as the
     * bucket stands after the debit.
     */
    async chargeSpent(ctx, policy, amount) {
        if (!this.limitsConfig.enabled || !ctx.orgId || !(amount > 0))
            return {};
        const orgId = ctx.orgId;
        const cfg = (await this.limits.forTenant(ctx)).policies[policy];
        const unit = POLICY_UNIT[policy];
        const check = this.rateCheck(orgId, policy, amount, cfg);
        const [taken] = await Promise.all([
            this.storage.debit(check),
            unit ? this.usage.record(orgId, unit, amount) : undefined,
        ]);
        const plan = new RatePlan(orgId, policy, amount);
        plan.rates.push(check);
        return rateHeaders(plan, { admitted: true, slotRefused: false, rates: [{ check, ...taken, fits: true }] });
    }
    count(orgId, policy, v) {
        const over = v.rates.some((o) => !o.fits && !o.check.dryRun) || !!v.quota?.over;
        rateLimitDecisions.labels(policy, orgLabel(orgId), over ? 'limited' : 'allowed').inc();
    }
};
Charges = __decorate([
    Injectable(),
    __param(3, Inject(LimitsConfig)),
    __metadata("design:paramtypes", [RateLimitStorage,
        LimitsService,
        UsageService,
        LimitsConfig])
], Charges);
export { Charges };
/**
 * A charge's headers merged into those the guard set: RateLimit-Policy and RateLimit list every
 * policy the request was charged under, X-RateLimit-* name the charged (costly) one.
 */
export function mergeChargeHeaders(current, charged) {
    const out = { ...charged };
    for (const name of ['RateLimit-Policy', 'RateLimit']) {
        const had = current(name);
        if (had && charged[name])
            out[name] = `${String(had)}, ${charged[name]}`;
    }
    return out;
}
//# sourceMappingURL=charges.service.js.map