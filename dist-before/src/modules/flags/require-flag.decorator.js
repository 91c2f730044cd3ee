var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { applyDecorators, Injectable, NotFoundException, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FlagsService } from './flags.service.js';
export const REQUIRED_FLAG = 'rocker:required-flag';
/**
 * Answers 404 (the same problem as an unknown route) when the flag is off for the caller's org.
 * Runs after the global tenant/role guards, before the request's transaction.
 */
let FeatureFlagGuard = class FeatureFlagGuard {
    constructor(reflector, flags) {
        this.reflector = reflector;
        this.flags = flags;
    }
    async canActivate(context) {
        const key = this.reflector.getAllAndOverride(REQUIRED_FLAG, [context.getHandler(), context.getClass()]);
        if (!key)
            return true;
        const req = context.switchToHttp().getRequest();
        if (req.tenant && (await this.flags.isEnabled(req.tenant, key)))
            return true;
        throw new NotFoundException(`Cannot ${req.method} ${req.url.split('?')[0]}`);
    }
};
FeatureFlagGuard = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [Reflector,
        FlagsService])
], FeatureFlagGuard);
export { FeatureFlagGuard };
/** The route exists only for orgs that have the flag on; for the others it answers 404. */
export const RequireFlag = (key) => applyDecorators(SetMetadata(REQUIRED_FLAG, key), UseGuards(FeatureFlagGuard));
//# sourceMappingURL=require-flag.decorator.js.map