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
var RateLimitGuard_1;
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, } from '@nestjs/throttler';
import { randomUUID } from 'node:crypto';
import { GENERAL_POLICIES, RATE_LIMIT, RatePolicy, } from '../../common/decorators/rate-limit.decorator.js';
import { rateLimitDecisions } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { LimitsConfig } from '../../config/slices.js';
import { LimitsService } from './limits.service.js';
import { POLICY_UNIT, RATE_POLICIES, rateCost, } from './limits.types.js';
import { RatePlan, rateHeaders, refusal, tooLarge } from './rate-decision.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UsageService } from './usage.service.js';
import { addUsage } from './charges.service.js';
/** In-flight stream slots are leases: a crashed instance's slot frees itself after this. */
const SLOT_LEASE_MS = 15 * 60_000;
const LIMITS = Symbol('rocker:rate-limits');
const PLAN = Symbol('rocker:rate-plan');
/** The request was decided already (in the onRequest hook): the guard does not charge it again. */
const DECIDED = Symbol('rocker:rate-decided');
const reflector = new Reflector();
const requestOf = (context) => context.switchToHttp().getRequest();
/** The org a request is charged to (SPEC §2), or null for a caller without any org. */
const chargedOrg = (req) => req.tenant?.orgId ?? req.chargeOrgId ?? null;
const routeMeta = (context) => reflector.getAllAndOverride(RATE_LIMIT, [
    context.getHandler(),
    context.getClass(),
]);
/** The caller's effective limits of `policy` (the throttler options resolve limit and ttl with it). */
export function policyOf(context, policy) {
    return requestOf(context)[LIMITS].policies[policy];
}
/**
 * Whether a policy's throttler applies: `api` to every caller with an org, `user` to every caller
 * without one, the others only where a route names them with @RateLimit.
 */
export function applies(context, policy) {
    const orgId = chargedOrg(requestOf(context));
    if (policy === RatePolicy.Api)
        return !!orgId;
    if (policy === RatePolicy.User)
        return !orgId;
    return routeMeta(context)?.policy === policy;
}
/** Whether the route's cost is read from its body (so it can only be decided once the body is parsed). */
const costNeedsBody = (meta) => typeof meta?.cost === 'function';
/** Metered units a request asks for, from the route's cost function; anything odd counts as 1. */
function amountOf(meta, req) {
    if (meta?.cost === undefined)
        return 1;
    if (typeof meta.cost === 'number')
        return meta.cost;
    try {
        const n = meta.cost(req);
        return Number.isFinite(n) && n >= 0 ? Math.ceil(n) : 1;
    }
    catch {
        return 1; // the body is validated after the guards; a malformed one is refused there
    }
}
/**
 * Per-org limits on @nestjs/throttler: one throttler per policy (its options resolve the caller's
 * limits, its skip rules say which apply), the tracker names the org (or `user:<id>` for a caller
 * without one), and each applying throttler adds its token bucket to the request's plan; the plan,
 * with the monthly quota, the tts stream slot and the usage to meter, is then decided by the
 * storage in one Redis round trip.
 */
let RateLimitGuard = RateLimitGuard_1 = class RateLimitGuard extends ThrottlerGuard {
    constructor(options, limiter, reflector, limits, usage, limitsConfig) {
        super(options, limiter, reflector);
        this.limiter = limiter;
        this.limits = limits;
        this.usage = usage;
        this.limitsConfig = limitsConfig;
        this.log = new Logger(RateLimitGuard_1.name);
    }
    async onModuleInit() {
        await super.onModuleInit();
        this.limiter.startHeartbeat(); // only API processes count as instances sharing the limits
    }
    async canActivate(context) {
        if (requestOf(context)[DECIDED] || (await this.shouldSkip(context)))
            return true;
        await this.decide(context);
        return true;
    }
    /**
     * The decision before the body is read (Fastify onRequest, see bootstrap.ts): taken now when the
     * route's cost does not depend on its body, and the guard then passes the request without
     * charging it again. A route whose cost is read from its body (embedding inputs, TTS characters)
     * is decided by the guard once the body is parsed; here it is only refused from this instance's
     * memo of empty buckets (no Redis call), so a flood of refused requests reads no bodies either.
     */
    async early(context) {
        const req = requestOf(context);
        if (await this.shouldSkip(context))
            return;
        if (!costNeedsBody(routeMeta(context))) {
            await this.decide(context);
            req[DECIDED] = true;
            return;
        }
        const plan = (req[PLAN] = await this.planFor(context, req));
        await super.canActivate(context); // collects the buckets that apply, at the smallest cost
        const refused = this.limiter.memoRefusal(plan);
        if (!refused)
            return;
        const verdict = { admitted: false, rates: [refused], slotRefused: false, memo: true };
        this.count(plan, req, verdict);
        const headers = rateHeaders(plan, verdict);
        context.switchToHttp().getResponse().headers(headers);
        throw refusal(plan, verdict, headers);
    }
    /** Every bucket, the quota, the stream slot and the metering of the request: one decision, one round trip. */
    async decide(context) {
        const req = requestOf(context);
        const plan = (req[PLAN] = await this.planFor(context, req));
        await super.canActivate(context); // each applying throttler adds its bucket (handleRequest)
        const large = tooLarge(plan);
        if (large)
            throw large;
        const verdict = await this.limiter.decide(plan, this.seedOf(plan, req));
        this.count(plan, req, verdict);
        const headers = rateHeaders(plan, verdict);
        const reply = context.switchToHttp().getResponse();
        reply.headers(headers);
        if (!verdict.admitted)
            throw refusal(plan, verdict, headers);
        const slot = plan.slot;
        if (slot)
            reply.raw.once('close', () => void this.limiter.releaseSlot(slot.key, slot.id));
    }
    /** Public routes (no caller) and the kill switch. */
    async shouldSkip(context) {
        return !this.limitsConfig.enabled || !requestOf(context).tenant?.userId;
    }
    /** Adds this throttler's bucket to the plan; the decision is taken once for all of them. */
    async handleRequest(r) {
        const { req } = this.getRequestResponse(r.context);
        const tracker = await r.getTracker(req, r.context);
        const policy = r.throttler.name;
        const plan = req[PLAN];
        const cfg = policyOf(r.context, policy);
        plan.rates.push({
            policy,
            key: r.generateKey(r.context, tracker, policy),
            cost: GENERAL_POLICIES.includes(policy) ? 1 : rateCost(policy, plan.amount),
            limit: r.limit,
            windowS: r.ttl / 1000,
            burst: cfg.burst ?? r.limit,
            dryRun: cfg.dry_run,
        });
        plan.rates.sort((a, b) => RATE_POLICIES.indexOf(a.policy) - RATE_POLICIES.indexOf(b.policy));
        return true;
    }
    /** SPEC §2: the org the request is charged to, else the user (limited, not billed). */
    async getTracker(req) {
        return chargedOrg(req) ?? `user:${req.tenant.userId}`;
    }
    /** One bucket per tracker and policy, whatever the route (never per IP, never per handler). */
    generateKey(_context, tracker, policy) {
        return this.limiter.bucketKey(tracker, policy);
    }
    /** The caller's limits, and what the route adds besides buckets: quota, stream slot, metering. */
    async planFor(context, req) {
        const orgId = chargedOrg(req);
        const meta = routeMeta(context);
        const limits = (req[LIMITS] = orgId ? await this.limitsOf(req, orgId) : this.limits.platform);
        const amount = amountOf(meta, req);
        const plan = new RatePlan(await this.getTracker(req), meta?.policy ?? (orgId ? RatePolicy.Api : RatePolicy.User), amount);
        if (!meta)
            return plan;
        const unit = POLICY_UNIT[meta.policy];
        if (orgId && unit)
            addUsage(plan, this.limiter, orgId, limits, unit, amount);
        const concurrency = limits.policies[meta.policy].concurrency;
        if (concurrency) {
            const key = this.limiter.slotsKey(plan.tracker, meta.policy);
            plan.slot = {
                policy: meta.policy,
                key,
                limit: concurrency,
                leaseMs: SLOT_LEASE_MS,
                id: `${req.id}:${randomUUID()}`,
            };
        }
        return plan;
    }
    /** The charged org's limits: read as the caller, or as the platform when the route runs without an org. */
    limitsOf(req, orgId) {
        const t = req.tenant;
        if (t.orgId)
            return this.limits.forTenant(t);
        return this.limits.forTenant({
            requestId: t.requestId,
            userId: null,
            orgId,
            role: null,
            isSuperAdmin: false,
        });
    }
    /** Loads the durable month-to-date usage when Redis lost the quota counter. */
    seedOf(plan, req) {
        const orgId = chargedOrg(req);
        const unit = plan.quota?.unit;
        return orgId && unit ? () => this.usage.monthToDate(orgId, unit) : undefined;
    }
    count(plan, req, v) {
        const org = orgLabel(chargedOrg(req));
        for (const o of v.rates) {
            const over = !o.fits;
            const dry = over && o.check.dryRun;
            rateLimitDecisions
                .labels(o.check.policy, org, dry ? 'dry_run_limited' : over ? 'limited' : 'allowed')
                .inc();
            if (dry)
                this.log.warn({ org_id: chargedOrg(req), policy: o.check.policy, limit: o.limit }, 'dry-run: over the rate limit, not blocked');
        }
        if (v.slotRefused)
            rateLimitDecisions.labels(plan.slot.policy, org, 'limited').inc();
    }
};
RateLimitGuard = RateLimitGuard_1 = __decorate([
    Injectable(),
    __param(0, InjectThrottlerOptions()),
    __param(1, InjectThrottlerStorage()),
    __param(5, Inject(LimitsConfig)),
    __metadata("design:paramtypes", [Object, RateLimitStorage,
        Reflector,
        LimitsService,
        UsageService,
        LimitsConfig])
], RateLimitGuard);
export { RateLimitGuard };
//# sourceMappingURL=rate-limit.guard.js.map