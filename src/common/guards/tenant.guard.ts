import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ClsService } from 'nestjs-cls';
import { IS_PUBLIC, NO_ORG } from '../decorators/auth.decorators.js';
import { badRequest, forbidden, unauthorized } from '../filters/problem.js';
import { JwtVerifier } from '../../modules/auth/jwt-verifier.js';
import { AuthRepository } from '../../modules/auth/auth.repository.js';
import { TENANT_KEY, type TenantContext } from '../../database/tenant-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Global guard: who is calling, and for which org. Token verified, user and membership read from
 * the database on every request (never from a claim the client chose). Fails closed.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtVerifier,
    private readonly auth: AuthRepository,
    private readonly cls: ClsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & { tenant?: TenantContext; chargeOrgId?: string }>();

    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null;
    if (!match) throw unauthorized('a Bearer token is required');
    const token = await this.jwt.verify(match[1]);
    if (!token) throw unauthorized('the token is invalid or expired');
    const record = await this.auth.load(token.userId);
    if (!record) throw unauthorized('the token names no known user');

    const ctx: TenantContext = {
      requestId: String(req.id),
      userId: record.userId,
      orgId: null,
      role: null,
      isSuperAdmin: record.isSuperAdmin,
    };
    const noOrg = this.reflector.getAllAndOverride<boolean>(NO_ORG, targets);
    const orgHeader = req.headers['x-org-id'];
    if (!noOrg || orgHeader !== undefined) {
      let orgId: string | undefined;
      if (orgHeader !== undefined) {
        if (typeof orgHeader !== 'string' || !UUID.test(orgHeader)) throw badRequest('X-Org-Id must be a uuid');
        orgId = orgHeader.toLowerCase();
      } else if (token.orgId) orgId = token.orgId;
      else if (record.memberships.length === 1) orgId = record.memberships[0].orgId;
      else if (!noOrg) {
        throw badRequest(
          record.memberships.length === 0
            ? 'you are not a member of any org'
            : 'you belong to several orgs: name one with the X-Org-Id header',
        );
      }
      if (orgId) {
        const membership = record.memberships.find((m) => m.orgId === orgId);
        if (!membership) throw forbidden('you are not a member of this org');
        ctx.orgId = orgId;
        ctx.role = membership.role;
      }
    } else {
      // A route without an org is still charged (SPEC §2): to the org the claim or the only membership names.
      const orgId = token.orgId ?? (record.memberships.length === 1 ? record.memberships[0].orgId : undefined);
      if (orgId && record.memberships.some((m) => m.orgId === orgId)) req.chargeOrgId = orgId;
    }
    req.tenant = ctx;
    (req.raw as typeof req.raw & { tenant?: TenantContext }).tenant = ctx; // for the access log
    this.cls.set(TENANT_KEY, ctx);
    return true;
  }
}
