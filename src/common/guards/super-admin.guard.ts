import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SUPER_ADMIN } from '../decorators/auth.decorators.js';
import { forbidden } from '../filters/problem.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';

/** Is the caller a platform super_admin (from the database)? */
@Injectable()
export class SuperAdminGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.reflector.getAllAndOverride<boolean>(SUPER_ADMIN, [context.getHandler(), context.getClass()])) return true;
    const tenant: TenantContext | undefined = context.switchToHttp().getRequest().tenant;
    if (!tenant?.isSuperAdmin) throw forbidden('this action needs a platform super_admin');
    return true;
  }
}
