import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, Observable } from 'rxjs';
import { IS_PUBLIC, NO_TRANSACTION } from '../decorators/auth.decorators.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';

/**
 * Runs each authenticated request in one transaction with its org, user and actor role set in
 * Postgres first. Any error rolls the whole request back.
 */
@Injectable()
export class TenantContextInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly tenants: TenantTransactions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const targets = [context.getHandler(), context.getClass()];
    const tenant: TenantContext | undefined = context.switchToHttp().getRequest().tenant;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) || !tenant) return next.handle();
    if (this.reflector.getAllAndOverride<boolean>(NO_TRANSACTION, targets)) return next.handle();
    return from(this.tenants.run(tenant, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
