import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { REQUIRED_ROLE } from '../decorators/auth.decorators.js';
import { forbidden } from '../filters/problem.js';
import { hasOrgRole, type OrgRole, type TenantContext } from '../../tenancy/tenant-context.js';

/** Is the caller's org role at least the route's @Roles(...)? */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<OrgRole>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (!required) return true;
    const tenant: TenantContext | undefined = context.switchToHttp().getRequest().tenant;
    if (!hasOrgRole(tenant, required)) {
      throw forbidden(`this action needs the ${required} role or higher`);
    }
    return true;
  }
}
