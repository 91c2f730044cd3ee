import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { RATE_POLICIES } from './limits.types.js';
import { AdminLimitsController, OrgLimitsController } from './limits.controller.js';
import { LimitsCache } from './limits.cache.js';
import { LimitsRepository } from './limits.repository.js';
import { LimitsService } from './limits.service.js';
import { applies, policyOf, RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { UsageService } from './usage.service.js';
import { AuthFailureLimiter } from './auth-failure.limiter.js';
import { BodyRefusalLimiter } from './body-refusal.limiter.js';
import { Charges } from './charges.service.js';
import { StoredBytes } from './stored-bytes.js';
import { StoredBytesRepository } from './stored-bytes.repository.js';

@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
class RateLimitStorageModule {}

/**
 * Per-org rate limits, quotas and usage metering. The guard (RateLimitGuard) is registered as a
 * global APP_GUARD in AppModule, after the tenant guards whose request.tenant it needs, and runs
 * first in the onRequest hook (bootstrap.ts); AuthFailureLimiter limits bad tokens per address,
 * BodyRefusalLimiter refused bodies per user.
 */
@Global()
@Module({
  imports: [
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [RateLimitStorage],
      // One throttler per policy; limit and window are the caller's (its org's overrides or the defaults).
      useFactory: (storage: RateLimitStorage) => ({
        throttlers: RATE_POLICIES.map((p) => ({
          name: p,
          limit: (ctx) => policyOf(ctx, p).limit,
          ttl: (ctx) => policyOf(ctx, p).window_s * 1000,
          skipIf: (ctx) => !applies(ctx, p),
        })),
        storage,
      }),
    }),
  ],
  controllers: [OrgLimitsController, AdminLimitsController],
  providers: [LimitsRepository, LimitsCache, LimitsService, UsageService, RateLimitGuard, AuthFailureLimiter, BodyRefusalLimiter, Charges, StoredBytes, StoredBytesRepository],
  exports: [StoredBytes, LimitsService, UsageService, RateLimitGuard, AuthFailureLimiter, BodyRefusalLimiter, Charges, RateLimitStorageModule, ThrottlerModule],
})
export class LimitsModule {}
