import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { countDecision } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { LimitsConfig } from '../../config/slices.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { LimitsService } from './limits.service.js';
import { POLICY_UNIT, dayKey, monthKey, msToMonthEnd, rateCost, type EffectiveLimits, type UsageUnit } from './limits.types.js';
import { RatePlan, rateHeaders, refusal, type RateCheck, type Verdict } from './rate-decision.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UsageService } from './usage.service.js';

/** Adds to a plan the org's monthly quota of `unit` and the usage to meter when it is admitted. */
export function addUsage(
  plan: RatePlan,
  storage: RateLimitStorage,
  orgId: string,
  limits: EffectiveLimits,
  unit: UsageUnit,
  amount: number,
): void {
  if (!(amount > 0)) return;
  const now = new Date();
  plan.metering = { orgId, key: storage.pendingKey(orgId), entries: [[`${dayKey(now)}|${unit}`, amount]] };
  const limit = limits.quotas[unit];
  if (limit !== null)
    plan.quota = { unit, key: storage.quotaKey(orgId, unit, monthKey(now)), cost: amount, limit, ttlMs: msToMonthEnd(now) };
}

/** How long a job's charge is remembered (chargeJobUpTo): longer than any job's retries take. */
export const JOB_CHARGE_TTL_MS = 7 * 24 * 3600 * 1000;

/** RateLimit headers of a charge, for the response of the route that spent it. */
export type ChargeHeaders = Record<string, string>;

/**
 * Costs charged where they are spent, when the route alone does not name them: a knowledge item
 * from a URL (`crawl`), an upload that turns out to need OCR or PDF parsing (`ocr`), a manual retry
 * of a failed job. The same decision as the limiter's guard (the policy's token bucket, the monthly
 * quota of its unit, the metering, one Redis round trip); the general `api` bucket was taken by
 * the guard already.
 */
@Injectable()
export class Charges {
  constructor(
    private readonly storage: RateLimitStorage,
    private readonly limits: LimitsService,
    private readonly usage: UsageService,
    @Inject(LimitsConfig) private readonly limitsConfig: LimitsConfig,
  ) {}

  /**
   * Charges the work a job's run has done, up to `units` in all for the job's generation (`work`:
   * the queue's job id, which a manual retry changes): `spend` is called with what is beyond what
   * the generation was charged already (`before`). Taken as the work is done, not with the job's
   * commit, since a run whose commit never comes (its item deleted meanwhile, its lease lost) did
   * the work all the same; an automatic attempt after a system failure does the work again and is
   * charged only past what its earlier attempts were (a mark in Redis for JOB_CHARGE_TTL_MS).
   */
  async chargeJobUpTo(
    ctx: TenantContext,
    work: string,
    units: number,
    spend: (more: number, before: number) => Promise<unknown>,
  ): Promise<void> {
    if (!ctx.orgId || !(units > 0)) return;
    const before = await this.storage.chargedUpTo(ctx.orgId, work, units, JOB_CHARGE_TTL_MS);
    if (before < units) await spend(units - before, before);
  }

  /**
   * Charges `amount` units of `policy` to the caller's org before the work: 429 `rate-limited` or
   * `quota-exceeded` (with RateLimit headers and Retry-After) when it does not fit, and then
   * nothing is consumed. Answers the policy's RateLimit headers.
   */
  async charge(ctx: TenantContext, policy: RatePolicy, amount: number): Promise<ChargeHeaders> {
    if (!this.limitsConfig.enabled || !ctx.orgId) return {};
    const orgId = ctx.orgId;
    const limits = await this.limits.forTenant(ctx);
    const cfg = limits.policies[policy];
    const plan = new RatePlan(orgId, policy, amount);
    plan.rates.push(this.rateCheck(orgId, policy, amount, cfg));
    const unit = POLICY_UNIT[policy];
    if (unit) addUsage(plan, this.storage, orgId, limits, unit, amount);
    const verdict = await this.storage.decide(plan, unit ? () => this.usage.monthToDate(orgId, unit) : undefined);
    this.count(orgId, policy, verdict);
    const headers = rateHeaders(plan, verdict);
    if (!verdict.admitted) throw refusal(plan, verdict, headers);
    return headers;
  }

  /** The org's bucket of `policy`, charged `amount` of its unit. */
  private rateCheck(
    orgId: string,
    policy: RatePolicy,
    amount: number,
    cfg: EffectiveLimits['policies'][RatePolicy],
  ): RateCheck {
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
  async chargeSpent(ctx: TenantContext, policy: RatePolicy, amount: number): Promise<ChargeHeaders> {
    if (!this.limitsConfig.enabled || !ctx.orgId || !(amount > 0)) return {};
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

  /**
   * A job's turn at a costly engine, before it starts: takes one unit of `policy` from the org's
   * bucket (not metered: the job meters what it spends). Answers 0 when it fits, else how many
   * milliseconds until it would (the job waits that long, no attempt spent). Once the job knows its
   * size it takes the rest with `debit`, past empty if need be: a job larger than the bucket still
   * runs, and the org's next jobs and requests wait until it is repaid.
   */
  async gate(ctx: TenantContext, policy: RatePolicy): Promise<number> {
    if (!this.limitsConfig.enabled || !ctx.orgId) return 0;
    const orgId = ctx.orgId;
    const cfg = (await this.limits.forTenant(ctx)).policies[policy];
    const plan = new RatePlan(orgId, policy, 1);
    plan.rates.push(this.rateCheck(orgId, policy, 1, cfg));
    const verdict = await this.storage.decide(plan);
    this.count(orgId, policy, verdict);
    return verdict.admitted ? 0 : Math.max(1, ...verdict.rates.map((o) => o.state.retryMs));
  }

  /** Takes `amount` of `policy` from the org's bucket, past empty if need be (the bucket only: no metering). */
  async debit(ctx: TenantContext, policy: RatePolicy, amount: number): Promise<void> {
    if (!this.limitsConfig.enabled || !ctx.orgId || !(amount > 0)) return;
    const cfg = (await this.limits.forTenant(ctx)).policies[policy];
    await this.storage.debit(this.rateCheck(ctx.orgId, policy, amount, cfg));
  }

  private count(orgId: string, policy: RatePolicy, v: Verdict): void {
    const over = v.rates.some((o) => !o.fits && !o.check.dryRun) || !!v.quota?.over;
    countDecision(policy, orgLabel(orgId), over ? 'limited' : 'allowed');
  }
}

/**
 * Sets a charge's headers on the answer, merged into those the guard set (mergeChargeHeaders), for
 * a cost the service charged while it ran (an upload's OCR, a publish's copy, a retried job).
 */
export function replyWithCharge(reply: FastifyReply, charged: ChargeHeaders = {}): void {
  reply.headers(mergeChargeHeaders((name) => reply.getHeader(name), charged));
}

/**
 * A charge's headers merged into those the guard set: RateLimit-Policy and RateLimit list every
 * policy the request was charged under, X-RateLimit-* name the charged (costly) one.
 */
export function mergeChargeHeaders(current: (name: string) => unknown, charged: ChargeHeaders): ChargeHeaders {
  const out: ChargeHeaders = { ...charged };
  for (const name of ['RateLimit-Policy', 'RateLimit']) {
    const had = current(name);
    if (had && charged[name]) out[name] = `${String(had)}, ${charged[name]}`;
  }
  return out;
}
