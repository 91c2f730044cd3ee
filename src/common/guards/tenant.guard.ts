import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ClsService } from 'nestjs-cls';
import { ALLOW_NEW_USER, IS_PUBLIC, NO_ORG } from '../decorators/auth.decorators.js';
import { badRequest, forbidden } from '../filters/problem.js';
import { Authenticator } from '../../tenancy/authenticator.js';
import { TENANT_KEY, type TenantContext } from '../../tenancy/tenant-context.js';
import { isUuid } from '../uuid.js';

type Req = FastifyRequest & { tenant?: TenantContext; chargeOrgId?: string };

/**
 * Global guard: who is calling, and for which org. Token verified, user and membership read from
 * the database on every request (never from a claim the client chose). Fails closed.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly cls: ClsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const req = context.switchToHttp().getRequest<Req>();
    // Normally resolved already, before the body was read (the onRequest hook: bootstrap.ts)
    if (!req.tenant) await this.resolve(context);
    this.cls.set(TENANT_KEY, req.tenant);
    return true;
  }

  /**
   * Who is calling and for which org, left on the request (`req.tenant`) for the other guards and
   * the interceptor. Runs in the onRequest hook, so an unauthenticated request is refused before
   * its body is read; throws 401/400/403 as problem+json.
   */
  async resolve(context: ExecutionContext): Promise<void> {
    if (this.isPublic(context)) return;
    const targets = [context.getHandler(), context.getClass()];
    const req = context.switchToHttp().getRequest<Req>();

    const { token, user } = await this.authenticator.authenticate(req.headers.authorization, {
      allowNewUser: this.reflector.getAllAndOverride<boolean>(ALLOW_NEW_USER, targets), // created by the route, if at all
    });
    (req as typeof req & { tokenEmail?: string }).tokenEmail = token.email;

    const ctx: TenantContext = {
      requestId: String(req.id),
      userId: user.userId,
      orgId: null,
      role: null,
      isSuperAdmin: user.isSuperAdmin,
    };
    const noOrg = this.reflector.getAllAndOverride<boolean>(NO_ORG, targets);
    const orgHeader = req.headers['x-org-id'];
    if (!noOrg || orgHeader !== undefined) {
      let orgId: string | undefined;
      if (orgHeader !== undefined) {
        if (!isUuid(orgHeader)) throw badRequest('X-Org-Id must be a uuid');
        orgId = orgHeader.toLowerCase();
      } else if (token.orgId) orgId = token.orgId;
      // auth_context() lists the user's default org first, then the oldest membership
      else if (user.memberships.length > 0) orgId = user.memberships[0].orgId;
      else if (!noOrg) throw badRequest('you are not a member of any org');
      if (orgId) {
        const membership = user.memberships.find((m) => m.orgId === orgId);
        if (!membership) throw forbidden('you are not a member of this org');
        ctx.orgId = orgId;
        ctx.role = membership.role;
      }
    } else {
      // A route without an org is still charged (SPEC §2): to the org the claim or the only membership names.
      const orgId = token.orgId ?? (user.memberships.length === 1 ? user.memberships[0].orgId : undefined);
      if (orgId && user.memberships.some((m) => m.orgId === orgId)) req.chargeOrgId = orgId;
    }
    req.tenant = ctx;
    (req.raw as typeof req.raw & { tenant?: TenantContext }).tenant = ctx; // for the access log
  }

  private isPublic(context: ExecutionContext): boolean {
    return !!this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
  }
}
