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
import { ProblemException } from '../../common/filters/problem.js';
import { rateLimitDecisions } from '../../common/metrics/metrics.js';
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
let AuthFailureLimiter = class AuthFailureLimiter {
    constructor(storage, limitsConfig) {
        this.storage = storage;
        this.limitsConfig = limitsConfig;
    }
    /** Counts one bad token from `ip`; answers the 429 to send instead of the 401 once it is over. */
    async refuse(ip) {
        if (!this.limitsConfig.enabled)
            return undefined;
        const limit = this.limitsConfig.authFailures;
        const windowS = this.limitsConfig.authWindowS;
        const r = await this.storage.increment(`ip:${ip}`, windowS * 1000, limit, 0, AUTH_FAILURE_POLICY);
        rateLimitDecisions.labels(AUTH_FAILURE_POLICY, 'none', r.isBlocked ? 'limited' : 'allowed').inc();
        if (!r.isBlocked)
            return undefined;
        return new ProblemException(429, 'rate-limited', `too many requests with a missing, invalid or expired token from this address (${limit} per ${windowS}s)`, { policy: AUTH_FAILURE_POLICY }, {
            'Retry-After': String(r.timeToBlockExpire),
            'RateLimit-Policy': `"${AUTH_FAILURE_POLICY}";q=${limit};w=${windowS}`,
            RateLimit: `"${AUTH_FAILURE_POLICY}";r=0;t=${r.timeToExpire}`,
        });
    }
};
AuthFailureLimiter = __decorate([
    Injectable(),
    __param(1, Inject(LimitsConfig)),
    __metadata("design:paramtypes", [RateLimitStorage,
        LimitsConfig])
], AuthFailureLimiter);
export { AuthFailureLimiter };
//# sourceMappingURL=auth-failure.limiter.js.map