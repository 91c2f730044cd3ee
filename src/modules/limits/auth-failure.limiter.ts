import { Inject, Injectable } from '@nestjs/common';
import type { ProblemException } from '../../common/filters/problem.js';
import { protectionRefusal } from './rate-decision.js';
import { countDecision } from '../../common/metrics/metrics.js';
import { LimitsConfig } from '../../config/slices.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/** The bucket's name (not an org policy: it belongs to a client address, and nobody is billed). */
export const AUTH_FAILURE_POLICY = 'auth';

/**
 * Bad-token floods, limited per client address: every request answered 401 (no, invalid or
 * expired token) takes one unit from the address's token bucket (RATE_LIMIT_AUTH_FAILURES per
 * RATE_LIMIT_AUTH_WINDOW_S, on the limiter's storage: shared by every instance, the refusal memo
 * spares Redis a flood's calls). Past it the answer is 429 instead of 401. A valid token from the
 * same address is not affected: only failures are counted.
 */
@Injectable()
export class AuthFailureLimiter {
  constructor(
    private readonly storage: RateLimitStorage,
    @Inject(LimitsConfig) private readonly limitsConfig: LimitsConfig,
  ) {}

  /** Counts one bad token from `ip`; answers the 429 to send instead of the 401 once it is over. */
  async refuse(ip: string): Promise<ProblemException | undefined> {
    if (!this.limitsConfig.enabled) return undefined;
    const limit = this.limitsConfig.authFailures;
    const windowS = this.limitsConfig.authWindowS;
    const r = await this.storage.increment(`ip:${ip}`, windowS * 1000, limit, 0, AUTH_FAILURE_POLICY);
    countDecision(AUTH_FAILURE_POLICY, 'none', r.isBlocked ? 'limited' : 'allowed');
    if (!r.isBlocked) return undefined;
    return protectionRefusal(
      AUTH_FAILURE_POLICY,
      `too many requests with a missing, invalid or expired token from this address (${limit} per ${windowS}s)`,
      { limit, windowS, retryS: r.timeToBlockExpire, resetS: r.timeToExpire },
    );
  }
}
