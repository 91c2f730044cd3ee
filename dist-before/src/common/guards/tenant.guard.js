var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ClsService } from 'nestjs-cls';
import { ALLOW_NEW_USER, IS_PUBLIC, NO_ORG } from '../decorators/auth.decorators.js';
import { badRequest, forbidden } from '../filters/problem.js';
import { Authenticator } from '../../tenancy/authenticator.js';
import { TENANT_KEY } from '../../tenancy/tenant-context.js';
import { isUuid } from '../uuid.js';
/**
 * Global guard: who is calling, and for which org. Token verified, user and membership read from
 * the database on every request (never from a claim the client chose). Fails closed.
 */
let TenantGuard = class TenantGuard {
    constructor(reflector, authenticator, cls) {
        this.reflector = reflector;
        this.authenticator = authenticator;
        this.cls = cls;
    }
    async canActivate(context) {
        if (this.isPublic(context))
            return true;
        const req = context.switchToHttp().getRequest();
        // Normally resolved already, before the body was read (the onRequest hook: bootstrap.ts)
        if (!req.tenant)
            await this.resolve(context);
        this.cls.set(TENANT_KEY, req.tenant);
        return true;
    }
    /**
     * Who is calling and for which org, left on the request (`req.tenant`) for the other guards and
     * the interceptor. Runs in the onRequest hook, so an unauthenticated request is refused before
     * its body is read; throws 401/400/403 as problem+json.
     */
    async resolve(context) {
        if (this.isPublic(context))
            return;
        const targets = [context.getHandler(), context.getClass()];
        const req = context.switchToHttp().getRequest();
        const { token, user } = await this.authenticator.authenticate(req.headers.authorization, {
            allowNewUser: this.reflector.getAllAndOverride(ALLOW_NEW_USER, targets), // created by the route, if at all
        });
        req.tokenEmail = token.email;
        const ctx = {
            requestId: String(req.id),
            userId: user.userId,
            orgId: null,
            role: null,
            isSuperAdmin: user.isSuperAdmin,
        };
        const noOrg = this.reflector.getAllAndOverride(NO_ORG, targets);
        const orgHeader = req.headers['x-org-id'];
        if (!noOrg || orgHeader !== undefined) {
            let orgId;
            if (orgHeader !== undefined) {
                if (!isUuid(orgHeader))
                    throw badRequest('X-Org-Id must be a uuid');
                orgId = orgHeader.toLowerCase();
            }
            else if (token.orgId)
                orgId = token.orgId;
            // auth_context() lists the user's default org first, then the oldest membership
            else if (user.memberships.length > 0)
                orgId = user.memberships[0].orgId;
            else if (!noOrg)
                throw badRequest('you are not a member of any org');
            if (orgId) {
                const membership = user.memberships.find((m) => m.orgId === orgId);
                if (!membership)
                    throw forbidden('you are not a member of this org');
                ctx.orgId = orgId;
                ctx.role = membership.role;
            }
        }
        else {
            // A route without an org is still charged (SPEC §2): to the org the claim or the only membership names.
            const orgId = token.orgId ?? (user.memberships.length === 1 ? user.memberships[0].orgId : undefined);
            if (orgId && user.memberships.some((m) => m.orgId === orgId))
                req.chargeOrgId = orgId;
        }
        req.tenant = ctx;
        req.raw.tenant = ctx; // for the access log
    }
    isPublic(context) {
        return !!this.reflector.getAllAndOverride(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    }
};
TenantGuard = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [Reflector,
        Authenticator,
        ClsService])
], TenantGuard);
export { TenantGuard };
//# sourceMappingURL=tenant.guard.js.map