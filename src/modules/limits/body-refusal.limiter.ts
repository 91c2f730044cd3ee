import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasBody } from '../../common/http/early-guards.js';
import { countDecision } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { LimitsConfig } from '../../config/slices.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { chargedOrg, holdRefusal } from './rate-limit.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { protectionRefusal } from './rate-decision.js';

/** The bucket's name (not an org policy: nobody is billed, and it has no per-org override). */
export const BODY_REFUSAL_POLICY = 'body';

/** Answers that refuse a request's body: malformed, too deep, too large, of the wrong type, invalid. */
const REFUSED_BODY = new Set([400, 413, 415, 422]);

type Req = FastifyRequest & { tenant?: TenantContext; chargeOrgId?: string };

/** Whose bucket: the user's (the early checks ran, so there is one). */
const userKey = (req: Req) => `user:${req.tenant!.userId}`;

/**
 * Refused bodies, limited per user (whatever org the request is for): every request with a body
 * answered 400, 413, 415 or 422 takes one unit from its user's token bucket (RATE_LIMIT_BAD_BODIES
 * per RATE_LIMIT_BAD_BODY_WINDOW_S, on the limiter's storage, shared by every instance). Once it is
 * empty, the user's next requests with a body are refused 429 before a byte of the body is read
 * (Fastify onRequest: from this instance's memo, no Redis call), held first for the refusal pace
 * like any known refusal (RATE_LIMIT_REFUSAL_PACE_MS). A flood of bodies built to be refused (a
 * megabyte of nesting, a body over the limit) thus stops costing the instance a connection, the
 * first chunk and a 400 each. Per user, not per org: one member's broken client or script does not
 * stop the rest of its org from writing; the user's requests without a body are not affected.
 */
@Injectable()
export class BodyRefusalLimiter {
  constructor(
    private readonly storage: RateLimitStorage,
    @Inject(LimitsConfig) private readonly limitsConfig: LimitsConfig,
  ) {}

  /** Counts the refused bodies of authenticated callers (after each answer is sent). */
  watch(fastify: FastifyInstance): void {
    if (!this.limitsConfig.enabled) return;
    fastify.addHook('onResponse', (req: Req, reply, done) => {
      if (REFUSED_BODY.has(reply.statusCode) && req.tenant?.userId && hasBody(req)) void this.count(req).catch(() => undefined);
      done();
    });
  }

  /** An early check (before the body): refuses a caller whose refused-body bucket is known empty. */
  async check(context: ExecutionContext): Promise<void> {
    const req = context.switchToHttp().getRequest<Req>();
    if (!this.limitsConfig.enabled || !req.tenant?.userId || !hasBody(req)) return;
    const memo = () => this.storage.memoRefusalOf(userKey(req), this.windowMs, this.limit, BODY_REFUSAL_POLICY);
    let refused = memo();
    if (!refused) return;
    const org = orgLabel(chargedOrg(req));
    await holdRefusal(this.storage, context.switchToHttp().getResponse<FastifyReply>().raw, refused, org);
    refused = memo();
    if (!refused) return;
    countDecision(BODY_REFUSAL_POLICY, org, 'limited');
    const retryS = Math.max(1, Math.ceil(refused.state.retryMs / 1000));
    const windowS = this.limitsConfig.badBodyWindowS;
    throw protectionRefusal(
      BODY_REFUSAL_POLICY,
      `too many refused request bodies (${this.limit} per ${windowS}s): requests with a body are refused for ${retryS}s`,
      { limit: this.limit, windowS, retryS, resetS: retryS },
    );
  }

  private async count(req: Req): Promise<void> {
    const r = await this.storage.increment(userKey(req), this.windowMs, this.limit, 0, BODY_REFUSAL_POLICY);
    countDecision(BODY_REFUSAL_POLICY, orgLabel(chargedOrg(req)), r.isBlocked ? 'limited' : 'allowed');
  }

  private get limit(): number {
    return this.limitsConfig.badBodies;
  }

  private get windowMs(): number {
    return this.limitsConfig.badBodyWindowS * 1000;
  }
}
