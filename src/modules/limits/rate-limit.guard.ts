import { ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { ENV, type Env } from '../../config/env.js';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { RATE_LIMIT, RatePolicy, type RateLimitMeta } from '../../common/decorators/rate-limit.decorator.js';
import { ProblemException } from '../../common/filters/problem.js';
import { rateLimitDecisions } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { LimitsService } from './limits.service.js';
import {
  RateLimitStorage,
  type CheckResult,
  type LimitCheck,
  type UsageIncrement,
} from './rate-limit.storage.js';
import { POLICY_UNIT, dayKey, monthKey, msToMonthEnd, rateCost, type PolicyLimit } from './limits.types.js';

/** In-flight stream slots are leases: a crashed instance's slot frees itself after this. */
const SLOT_LEASE_MS = 15 * 60_000;

type Req = FastifyRequest & { tenant?: TenantContext };

/** Metered units a request asks for, from the route's cost function; anything odd counts as 1. */
function amountOf(meta: RateLimitMeta | undefined, req: Req): number {
  if (!meta?.cost) return 1;
  try {
    const n = meta.cost(req);
    return Number.isFinite(n) && n >= 0 ? Math.ceil(n) : 1;
  } catch {
    return 1; // the body is validated after the guards; a malformed one is refused there
  }
}

const structured = (parts: string[]) => parts.join(', ');

/** Retry-After in whole seconds, at least 1, for a window that resets in `ttlMs`. */
const retryAfter = (ttlMs: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(ttlMs / 1000))) });

/**
 * Per-org limits on @nestjs/throttler (its guard, module and storage contract), keyed by org and
 * policy, never by IP. Every tenant route counts against `api`; a route marked
 * @RateLimit(policy, cost) also against its policy, its org's monthly quota for the policy's
 * unit, and (tts) the in-flight stream limit. One Redis round trip decides all of them and
 * meters the admitted usage.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger(RateLimitGuard.name);

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly limiter: RateLimitStorage,
    reflector: Reflector,
    private readonly limits: LimitsService,
    @Inject(ENV) private readonly env: Env,
  ) {
    super(options, limiter, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Req>();
    const reply = http.getResponse<FastifyReply>();
    const t = req.tenant;
    if (!t?.orgId || !this.env.RATE_LIMIT_ENABLED) return true; // public and org-less (platform) routes
    const orgId = t.orgId;
    const meta = this.reflector.getAllAndOverride<RateLimitMeta | undefined>(RATE_LIMIT, [
      context.getHandler(),
      context.getClass(),
    ]);
    const eff = await this.limits.forTenant(t);

    const rate: { policy: RatePolicy; cfg: PolicyLimit }[] = [
      { policy: RatePolicy.Api, cfg: eff.policies[RatePolicy.Api] },
    ];
    const checks: LimitCheck[] = [
      {
        key: this.limiter.windowKey(orgId, RatePolicy.Api),
        cost: 1,
        limit: rate[0].cfg.limit,
        windowMs: rate[0].cfg.window_s * 1000,
        dryRun: rate[0].cfg.dry_run,
      },
    ];
    const usage: UsageIncrement[] = [];
    let quotaIndex = -1;
    let amount = 0;
    if (meta && meta.policy !== RatePolicy.Api) {
      const cfg = eff.policies[meta.policy];
      amount = amountOf(meta, req);
      rate.push({ policy: meta.policy, cfg });
      checks.push({
        key: this.limiter.windowKey(orgId, meta.policy),
        cost: rateCost(meta.policy, amount),
        limit: cfg.limit,
        windowMs: cfg.window_s * 1000,
        dryRun: cfg.dry_run,
      });
      const unit = POLICY_UNIT[meta.policy];
      if (unit && amount > 0) {
        const now = new Date();
        usage.push({ orgId, day: dayKey(now), unit, amount });
        const quota = eff.quotas[unit];
        if (quota !== null) {
          quotaIndex = checks.length;
          checks.push({
            key: this.limiter.quotaKey(orgId, unit, monthKey(now)),
            cost: amount,
            limit: quota,
            windowMs: msToMonthEnd(now),
            dryRun: false,
          });
        }
      }
    }

    // Burst smoothing: a slice of each window admits at most BURST_FACTOR × its even share. Checked
    // in the same script; appended after the others, so the indices above keep their meaning.
    const slices: { rate: number; check: number; windowS: number }[] = [];
    if (this.env.RATE_LIMIT_BURST_SLICES > 1) {
      for (let i = 0; i < rate.length; i++) {
        const c = checks[i];
        const windowMs = Math.max(1000, Math.floor(c.windowMs / this.env.RATE_LIMIT_BURST_SLICES));
        const limit = Math.max(c.cost, Math.ceil((c.limit * this.env.RATE_LIMIT_BURST_FACTOR * windowMs) / c.windowMs));
        if (limit >= c.limit || windowMs >= c.windowMs) continue; // the slice would not bind
        slices.push({ rate: i, check: checks.length, windowS: windowMs / 1000 });
        checks.push({ key: `${c.key}:burst`, cost: c.cost, limit, windowMs, dryRun: c.dryRun });
      }
    }

    // In-flight streams first, so a refused slot consumes nothing.
    const concurrency = meta ? eff.policies[meta.policy].concurrency : undefined;
    let slot: { key: string; id: string } | undefined;
    if (meta && concurrency) {
      slot = { key: this.limiter.slotsKey(orgId, meta.policy), id: `${req.id}:${randomUUID()}` };
      if (!(await this.limiter.acquireSlot(slot.key, concurrency, SLOT_LEASE_MS, slot.id))) {
        rateLimitDecisions.labels(meta.policy, orgLabel(orgId), 'limited').inc();
        throw new ProblemException(
          429,
          'rate-limited',
          `at most ${concurrency} ${meta.policy} streams at a time for this org`,
          { policy: meta.policy },
          { 'Retry-After': '1' },
        );
      }
    }

    const decision = await this.limiter.decide(checks, usage);
    const results = decision.checks;
    this.setHeaders(reply, rate, results, meta ? 1 : 0);

    for (let i = 0; i < rate.length; i++) {
      const over = results[i].over || slices.some((x) => x.rate === i && results[x.check].over);
      const dry = over && rate[i].cfg.dry_run;
      rateLimitDecisions
        .labels(rate[i].policy, orgLabel(orgId), dry ? 'dry_run_limited' : over ? 'limited' : 'allowed')
        .inc();
      if (dry)
        this.log.warn(
          { org_id: orgId, policy: rate[i].policy, used: results[i].used, limit: results[i].limit },
          'dry-run: over the rate limit, not blocked',
        );
    }

    if (decision.admitted) {
      if (slot) {
        const s = slot;
        reply.raw.once('close', () => void this.limiter.releaseSlot(s.key, s.id));
      }
      return true;
    }
    if (slot) await this.limiter.releaseSlot(slot.key, slot.id);

    if (quotaIndex >= 0 && results[quotaIndex].over) {
      const q = results[quotaIndex];
      const unit = POLICY_UNIT[meta!.policy]!;
      throw new ProblemException(
        429,
        'quota-exceeded',
        `the monthly ${unit} quota of this org (${q.limit}) is used up (${q.used} used, this request needs ${amount})`,
        { policy: meta!.policy, unit, quota: q.limit, used: q.used },
        retryAfter(q.ttlMs),
      );
    }
    const i = results.findIndex((r, k) => k < rate.length && r.over && !rate[k].cfg.dry_run);
    if (i < 0) {
      // Within the window's limit, over its slice's: a burst. Retry when the slice turns.
      const b = slices.find((x) => results[x.check].over && !rate[x.rate].cfg.dry_run)!;
      const r = results[b.check];
      const { policy, cfg } = rate[b.rate];
      throw new ProblemException(
        429,
        'rate-limited',
        `the ${policy} limit of this org (${cfg.limit} per ${cfg.window_s}s) admits at most ${r.limit} per ${b.windowS}s: spread the requests out`,
        { policy, burst_limit: r.limit, burst_window_s: b.windowS },
        retryAfter(r.ttlMs),
      );
    }
    const r = results[i];
    const { policy } = rate[i];
    if (checks[i].cost > r.limit) {
      throw new ProblemException(
        413,
        'payload-too-large',
        `this request costs ${checks[i].cost} ${policy} units, more than the whole limit of ${r.limit} per window`,
        { policy },
      );
    }
    throw new ProblemException(
      429,
      'rate-limited',
      `the ${policy} limit of this org (${r.limit} per ${rate[i].cfg.window_s}s) is reached`,
      { policy },
      retryAfter(r.ttlMs),
    );
  }

  /** SPEC §4: RateLimit-Policy and RateLimit for every applied policy, X-RateLimit-* for the route's own. */
  private setHeaders(
    reply: FastifyReply,
    rate: { policy: RatePolicy; cfg: PolicyLimit }[],
    results: CheckResult[],
    main: number,
  ): void {
    const policies: string[] = [];
    const states: string[] = [];
    for (let i = 0; i < rate.length; i++) {
      const r = results[i];
      policies.push(`"${rate[i].policy}";q=${r.limit};w=${rate[i].cfg.window_s}`);
      states.push(
        `"${rate[i].policy}";r=${Math.max(0, r.limit - r.used)};t=${Math.max(0, Math.ceil(r.ttlMs / 1000))}`,
      );
    }
    const m = results[main];
    reply.header('RateLimit-Policy', structured(policies));
    reply.header('RateLimit', structured(states));
    reply.header(`${this.headerPrefix}-Limit`, String(m.limit));
    reply.header(`${this.headerPrefix}-Remaining`, String(Math.max(0, m.limit - m.used)));
    reply.header(`${this.headerPrefix}-Reset`, String(Math.max(0, Math.ceil(m.ttlMs / 1000))));
  }
}
