import { ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  GENERAL_POLICIES,
  RATE_LIMIT,
  RatePolicy,
  type RateLimitMeta,
} from '../../common/decorators/rate-limit.decorator.js';
import { countDecision, rateLimitHeld } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { IntakeConfig, LimitsConfig } from '../../config/slices.js';
import { hasBody, isUpload } from '../../common/http/early-guards.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { LimitsService } from './limits.service.js';
import {
  POLICY_UNIT,
  RATE_POLICIES,
  rateCost,
  type EffectiveLimits,
} from './limits.types.js';
import { RatePlan, rateHeaders, refusal, tooLarge, type RateOutcome, type Verdict } from './rate-decision.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UsageService } from './usage.service.js';
import { addUsage } from './charges.service.js';
import { clientGone } from '../../common/filters/problem.js';
import { routeMetadata } from '../../common/decorators/route-metadata.js';

/** In-flight stream slots are leases: a crashed instance's slot frees itself after this. */
const SLOT_LEASE_MS = 15 * 60_000;

const LIMITS = Symbol('rocker:rate-limits');
const PLAN = Symbol('rocker:rate-plan');
/** The request was decided already (in the onRequest hook): the guard does not charge it again. */
const DECIDED = Symbol('rocker:rate-decided');
/** The request was held once already (paced refusal): it is not held again. */
const PACED = Symbol('rocker:rate-paced');
/** Its body's `bytes` were taken before the body was read (a route whose cost is read from it): what they left. */
const BYTES_TAKEN = Symbol('rocker:rate-bytes-taken');
type Req = FastifyRequest & {
  tenant?: TenantContext;
  /** On a route without an org: the org the caller's claim or only membership names (TenantGuard). */
  chargeOrgId?: string;
  [LIMITS]?: EffectiveLimits;
  [PLAN]?: RatePlan;
  [DECIDED]?: boolean;
  [PACED]?: boolean;
  [BYTES_TAKEN]?: RateOutcome[];
};

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<Req>();
/** The org a request is charged to (SPEC §2), or null for a caller without any org. */
export const chargedOrg = (req: Req) => req.tenant?.orgId ?? req.chargeOrgId ?? null;
/** Whose buckets a request takes from: the org it is charged to, else `user:<id>`. */
const trackerOf = (req: Req) => chargedOrg(req) ?? `user:${req.tenant!.userId}`;

/**
 * Holds a request its bucket's memo refuses for the pace (RateLimitStorage.pace), counted in
 * rocker_ratelimit_held; throws 499 when its client goes away meanwhile (counted `abandoned`).
 */
export async function holdRefusal(storage: RateLimitStorage, res: ServerResponse, refused: RateOutcome, org: string): Promise<void> {
  const held = rateLimitHeld.labels(org);
  const hold = new AbortController();
  const onClose = () => hold.abort();
  res.once('close', onClose);
  held.inc();
  try {
    await storage.pace(refused, hold);
  } finally {
    held.dec();
    res.off('close', onClose);
  }
  if (res.destroyed) {
    countDecision(refused.check.policy, org, 'abandoned');
    throw clientGone();
  }
}
const routeMeta = (context: ExecutionContext) =>
  routeMetadata.getAllAndOverride<RateLimitMeta | undefined>(RATE_LIMIT, [
    context.getHandler(),
    context.getClass(),
  ]);

/** The caller's effective limits of `policy` (the throttler options resolve limit and ttl with it). */
export function policyOf(context: ExecutionContext, policy: RatePolicy) {
  return requestOf(context)[LIMITS]!.policies[policy];
}

/**
 * Whether a policy's throttler applies: `api` to every caller with an org, `user` to every caller
 * without one, the others only where a route names them with @RateLimit.
 */
export function applies(context: ExecutionContext, policy: RatePolicy): boolean {
  const orgId = chargedOrg(requestOf(context));
  if (policy === RatePolicy.Api) return !!orgId;
  if (policy === RatePolicy.User) return !orgId;
  if (policy === RatePolicy.Bytes) return hasBody(requestOf(context)) && !requestOf(context)[BYTES_TAKEN];
  return routeMeta(context)?.policy === policy;
}

/** Whether the route's cost is read from its body (so it can only be decided once the body is parsed). */
const costNeedsBody = (meta: RateLimitMeta | undefined) => typeof meta?.cost === 'function';

/** Metered units a request asks for, from the route's cost function; anything odd counts as 1. */
function amountOf(meta: RateLimitMeta | undefined, req: Req): number {
  if (meta?.cost === undefined) return 1;
  if (typeof meta.cost === 'number') return meta.cost;
  try {
    const n = meta.cost(req);
    return Number.isFinite(n) && n >= 0 ? Math.ceil(n) : 1;
  } catch {
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
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger(RateLimitGuard.name);

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly limiter: RateLimitStorage,
    private readonly limits: LimitsService,
    private readonly usage: UsageService,
    @Inject(LimitsConfig) private readonly limitsConfig: LimitsConfig,
    @Inject(IntakeConfig) private readonly intakeConfig: IntakeConfig,
  ) {
    super(options, limiter, routeMetadata); // its throttlers read route metadata on every request
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.limiter.startHeartbeat(); // only API processes count as instances sharing the limits
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (requestOf(context)[DECIDED] || (await this.shouldSkip(context))) return true;
    await this.decide(context);
    return true;
  }

  /**
   * Paced refusals, before admission (Fastify onRequest, see bootstrap.ts): a request this
   * instance's memo already refuses waits min(RATE_LIMIT_REFUSAL_PACE_MS, the wait for the token)
   * (RateLimitStorage.pace), then goes on to admission and the decision as usual, so one the bucket
   * admits by then passes and a 429 carries the headers of now. Waiting before admission, a held
   * request neither counts as in flight nor is timed as its org's service. Held at most once; a
   * client that goes away while held ends the hold, is neither decided nor charged, and counts as
   * `abandoned` in rocker_ratelimit_decisions_total (its 499 reaches no one; the early guards log it
   * as `request abandoned`).
   */
  async hold(context: ExecutionContext): Promise<void> {
    const req = requestOf(context);
    if (req[PACED] || (await this.shouldSkip(context))) return;
    req[PACED] = true;
    const plan = await this.collect(context, req);
    // gone while its limits were read (a database read on a cache miss): its 'close' has passed
    const res = context.switchToHttp().getResponse<FastifyReply>().raw;
    if (res.destroyed) throw clientGone();
    const refused = this.limiter.memoRefusal(plan);
    if (!refused) return;
    await holdRefusal(this.limiter, res, refused, orgLabel(chargedOrg(req)));
  }

  /**
   * The decision before the body is read (Fastify onRequest, after hold and admission): taken now
   * when the route's cost does not depend on its body, and the guard then passes the request
   * without charging it again. A route whose cost is read from its body (embedding inputs, TTS
   * characters) is decided by the guard once the body is parsed; here it is only refused from this
   * instance's memo of empty buckets (no Redis call), so a flood of refused requests reads no
   * bodies either.
   */
  async early(context: ExecutionContext): Promise<void> {
    const req = requestOf(context);
    if (await this.shouldSkip(context)) return;
    const plan = req[PLAN] ?? (await this.collect(context, req));
    if (!costNeedsBody(routeMeta(context))) {
      await this.decide(context, plan);
      req[DECIDED] = true;
      return;
    }
    const refused = this.limiter.memoRefusal(plan);
    if (refused) {
      const verdict: Verdict = { admitted: false, rates: [refused], slotRefused: false, memo: true };
      this.count(plan, req, verdict);
      const headers = rateHeaders(plan, verdict);
      context.switchToHttp().getResponse<FastifyReply>().headers(headers);
      throw refusal(plan, verdict, headers);
    }
    await this.takeBytes(context, req, plan);
  }

  /**
   * On a route whose cost is read from its body: its `bytes` are taken now, before the body is
   * read, in a decision of their own. Decided with the rest after the body, a request the route's
   * own bucket then refused would have been received and parsed for nothing taken (a refusal
   * consumes nothing): 1 MB bodies refused by an empty `embeddings` bucket went through at 13x the
   * `bytes` rate. The guard's decision after the body leaves `bytes` out and answers its state.
   */
  private async takeBytes(context: ExecutionContext, req: Req, planned: RatePlan): Promise<void> {
    const bytes = planned.rates.find((r) => r.policy === RatePolicy.Bytes);
    if (!bytes) return;
    const plan = new RatePlan(planned.tracker, RatePolicy.Bytes, planned.amount);
    plan.rates.push(bytes);
    req[BYTES_TAKEN] = (await this.decide(context, plan)).rates;
  }

  /** The request's plan: its limits, then each applying throttler adds its bucket (handleRequest). */
  private async collect(context: ExecutionContext, req: Req): Promise<RatePlan> {
    const plan = (req[PLAN] = await this.planFor(context, req));
    await super.canActivate(context);
    return plan;
  }

  /**
   * Every bucket, the quota, the stream slot and the metering of the request: one decision, one
   * round trip. `planned` is the plan collected before the body (reused when the cost does not
   * depend on it); the guard after the body collects it again.
   */
  private async decide(context: ExecutionContext, planned?: RatePlan): Promise<Verdict> {
    const req = requestOf(context);
    const plan = planned ?? (await this.collect(context, req));
    const large = tooLarge(plan);
    if (large) throw large;

    const verdict = await this.limiter.decide(plan, this.seedOf(plan, req));
    this.count(plan, req, verdict);
    // the bytes taken before the body, in the headers beside the rest
    const taken = req[BYTES_TAKEN];
    const headers = rateHeaders(plan, taken ? { ...verdict, rates: [...verdict.rates, ...taken] } : verdict);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    reply.headers(headers);
    if (!verdict.admitted) throw refusal(plan, verdict, headers);
    const slot = plan.slot;
    if (slot) reply.raw.once('close', () => void this.limiter.releaseSlot(slot.key, slot.id));
    return verdict;
  }

  /** Public routes (no caller) and the kill switch. */
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return !this.limitsConfig.enabled || !requestOf(context).tenant?.userId;
  }

  /** Adds this throttler's bucket to the plan; the decision is taken once for all of them. */
  protected override async handleRequest(r: ThrottlerRequest): Promise<boolean> {
    const { req } = this.getRequestResponse(r.context);
    const tracker = await r.getTracker(req, r.context);
    const policy = r.throttler.name as RatePolicy;
    const plan = (req as Req)[PLAN]!;
    const cfg = policyOf(r.context, policy);
    plan.rates.push({
      policy,
      key: r.generateKey(r.context, tracker, policy),
      cost: GENERAL_POLICIES.includes(policy)
        ? 1
        : rateCost(policy, policy === RatePolicy.Bytes ? this.bodyBytes(req as Req) : plan.amount),
      limit: r.limit,
      windowS: r.ttl / 1000,
      burst: cfg.burst ?? r.limit,
      dryRun: cfg.dry_run,
    });
    plan.rates.sort((a, b) => RATE_POLICIES.indexOf(a.policy) - RATE_POLICIES.indexOf(b.policy));
    return true;
  }

  /**
   * The bytes a request's body costs under `bytes`, known before a byte of it is read: its
   * Content-Length, else (a chunked body) the most its route accepts, since it may send that much.
   */
  private bodyBytes(req: Req): number {
    const declared = Number(req.headers['content-length']);
    if (req.headers['transfer-encoding'] === undefined && Number.isFinite(declared)) return declared;
    if (isUpload(req)) return this.intakeConfig.uploadMaxBytes;
    return req.routeOptions.bodyLimit;
  }

  /** SPEC §2: the org the request is charged to, else the user (limited, not billed). */
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    return trackerOf(req as Req);
  }

  /** One bucket per tracker and policy, whatever the route (never per IP, never per handler). */
  protected override generateKey(_context: ExecutionContext, tracker: string, policy: string): string {
    return this.limiter.bucketKey(tracker, policy);
  }

  /** The caller's limits, and what the route adds besides buckets: quota, stream slot, metering. */
  private async planFor(context: ExecutionContext, req: Req): Promise<RatePlan> {
    const orgId = chargedOrg(req);
    const meta = routeMeta(context);
    const limits = (req[LIMITS] = orgId ? await this.limitsOf(req, orgId) : this.limits.platform);
    const amount = amountOf(meta, req);
    const plan = new RatePlan(
      await this.getTracker(req),
      meta?.policy ?? (orgId ? RatePolicy.Api : RatePolicy.User),
      amount,
    );
    if (!meta) return plan;
    const unit = POLICY_UNIT[meta.policy];
    if (orgId && unit) addUsage(plan, this.limiter, orgId, limits, unit, amount);
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
  private limitsOf(req: Req, orgId: string): Promise<EffectiveLimits> {
    const t = req.tenant!;
    if (t.orgId) return this.limits.forTenant(t);
    return this.limits.forTenant({
      requestId: t.requestId,
      userId: null,
      orgId,
      role: null,
      isSuperAdmin: false,
    });
  }

  /** Loads the durable month-to-date usage when Redis lost the quota counter. */
  private seedOf(plan: RatePlan, req: Req): (() => Promise<number>) | undefined {
    const orgId = chargedOrg(req);
    const unit = plan.quota?.unit;
    return orgId && unit ? () => this.usage.monthToDate(orgId, unit) : undefined;
  }

  private count(plan: RatePlan, req: Req, v: Verdict): void {
    const org = orgLabel(chargedOrg(req));
    for (const o of v.rates) {
      const over = !o.fits;
      const dry = over && o.check.dryRun;
      countDecision(o.check.policy, org, dry ? 'dry_run_limited' : over ? 'limited' : 'allowed');
      if (dry)
        this.log.warn(
          { org_id: chargedOrg(req), policy: o.check.policy, limit: o.limit },
          'dry-run: over the rate limit, not blocked',
        );
    }
    if (v.slotRefused) countDecision(plan.slot!.policy, org, 'limited');
  }
}
