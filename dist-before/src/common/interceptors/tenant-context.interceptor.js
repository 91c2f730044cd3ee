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
import { from, lastValueFrom } from 'rxjs';
import { IS_PUBLIC, NO_TRANSACTION } from '../decorators/auth.decorators.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
/**
 * Runs each authenticated request in one transaction with its org, user and actor role set in
 * Postgres first. Any error rolls the whole request back.
 */
let TenantContextInterceptor = class TenantContextInterceptor {
    constructor(reflector, tenants) {
        this.reflector = reflector;
        this.tenants = tenants;
    }
    intercept(context, next) {
        const targets = [context.getHandler(), context.getClass()];
        const tenant = context.switchToHttp().getRequest().tenant;
        if (this.reflector.getAllAndOverride(IS_PUBLIC, targets) || !tenant)
            return next.handle();
        if (this.reflector.getAllAndOverride(NO_TRANSACTION, targets))
            return next.handle();
        return from(this.tenants.run(tenant, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
    }
};
TenantContextInterceptor = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [Reflector,
        TenantTransactions])
], TenantContextInterceptor);
export { TenantContextInterceptor };
//# sourceMappingURL=tenant-context.interceptor.js.map