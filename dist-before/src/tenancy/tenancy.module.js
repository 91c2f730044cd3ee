var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
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
let TenancyModule = class TenancyModule {
};
TenancyModule = __decorate([
    Global(),
    Module({
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
], TenancyModule);
export { TenancyModule };
//# sourceMappingURL=tenancy.module.js.map