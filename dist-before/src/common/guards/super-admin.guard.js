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
import { SUPER_ADMIN } from '../decorators/auth.decorators.js';
import { forbidden } from '../filters/problem.js';
/** Is the caller a platform super_admin (from the database)? */
let SuperAdminGuard = class SuperAdminGuard {
    constructor(reflector) {
        this.reflector = reflector;
    }
    canActivate(context) {
        if (!this.reflector.getAllAndOverride(SUPER_ADMIN, [context.getHandler(), context.getClass()]))
            return true;
        const tenant = context.switchToHttp().getRequest().tenant;
        if (!tenant?.isSuperAdmin)
            throw forbidden('this action needs a platform super_admin');
        return true;
    }
};
SuperAdminGuard = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [Reflector])
], SuperAdminGuard);
export { SuperAdminGuard };
//# sourceMappingURL=super-admin.guard.js.map