import { Global, Module } from '@nestjs/common';
import { Authenticator } from './authenticator.js';
import { JwtVerifier } from './jwt-verifier.js';
import { MembershipCache } from './membership.cache.js';
import { MembershipRepository } from './membership.repository.js';
import { TenantDb, TenantTransactions } from './tenant-context.js';

/**
 * Who is calling and for which org, in one place: token verification, the user's memberships
 * (cached, re-checked by tenant_begin()), the tenant transaction and TenantDb. Global: the guard,
 * the interceptor, the queue board and every feature repository use it.
 */
@Global()
@Module({
  providers: [
    JwtVerifier,
    MembershipCache,
    MembershipRepository,
    Authenticator,
    TenantTransactions,
    TenantDb,
  ],
  exports: [Authenticator, TenantTransactions, TenantDb],
})
export class TenancyModule {}
