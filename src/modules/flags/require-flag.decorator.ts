import { applyDecorators, CanActivate, ExecutionContext, Injectable, NotFoundException, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import type { FlagKey } from './flag-key.js';
import { FlagsService } from './flags.service.js';

export const REQUIRED_FLAG = 'rocker:required-flag';

/**
 * Answers 404 (the same problem as an unknown route) when the flag is off for the caller's org.
 * Runs after the global tenant/role guards, before the request's transaction.
 */
@Injectable()
export class FeatureFlagGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly flags: FlagsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const key = this.reflector.getAllAndOverride<FlagKey | undefined>(REQUIRED_FLAG, [context.getHandler(), context.getClass()]);
    if (!key) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest & { tenant?: TenantContext }>();
    if (req.tenant && (await this.flags.isEnabled(req.tenant, key))) return true;
    throw new NotFoundException(`Cannot ${req.method} ${req.url.split('?')[0]}`);
  }
}

/** The route exists only for orgs that have the flag on; for the others it answers 404. */
export const RequireFlag = (key: FlagKey) => applyDecorators(SetMetadata(REQUIRED_FLAG, key), UseGuards(FeatureFlagGuard));
