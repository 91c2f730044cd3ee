var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, NoOrg, NoTransaction, SuperAdmin } from '../../common/decorators/auth.decorators.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { EffectiveLimitsDto, PolicyLimitDto, UpdateLimitsDto, UsageDto, UsageQueryDto, } from './dto/limits.dto.js';
import { LimitsService } from './limits.service.js';
import { UsageService } from './usage.service.js';
let OrgLimitsController = class OrgLimitsController {
    constructor(limits, usage) {
        this.limits = limits;
        this.usage = usage;
    }
    /** The org's effective rate limits, quotas and job concurrency (defaults with its overrides). */
    get(t) {
        return this.limits.forTenant(t);
    }
    /** Metered usage per day and unit (UTC days). */
    usageReport(t, q) {
        return this.usage.report(t, q.from, q.to);
    }
};
__decorate([
    Get('limits'),
    ApiOkResponse({ type: EffectiveLimitsDto }),
    __param(0, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object]),
    __metadata("design:returntype", Promise)
], OrgLimitsController.prototype, "get", null);
__decorate([
    Get('usage'),
    ApiOkResponse({ type: UsageDto }),
    __param(0, CurrentTenant()),
    __param(1, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, UsageQueryDto]),
    __metadata("design:returntype", Promise)
], OrgLimitsController.prototype, "usageReport", null);
OrgLimitsController = __decorate([
    ApiTags('limits'),
    ApiBearerAuth(),
    ApiExtraModels(PolicyLimitDto),
    Controller('v1/org'),
    __metadata("design:paramtypes", [LimitsService,
        UsageService])
], OrgLimitsController);
export { OrgLimitsController };
let AdminLimitsController = class AdminLimitsController {
    constructor(limits) {
        this.limits = limits;
    }
    /** Any org's effective limits (super_admin; an operator needs no membership of the org). */
    read(t, orgId) {
        return this.limits.forOrg(t, orgId);
    }
    /** Sets an org's overrides (super_admin). Omitted policies keep their value; null resets one. */
    update(t, orgId, body) {
        return this.limits.update(t, orgId, body);
    }
};
__decorate([
    Get(':orgId/limits'),
    SuperAdmin(),
    NoOrg(),
    NoTransaction() // the read runs in its own transaction with the target org set
    ,
    ApiOkResponse({ type: EffectiveLimitsDto }),
    ApiForbiddenResponse({ description: 'the caller is not a platform super_admin' }),
    ApiNotFoundResponse({ description: 'no such org' }),
    __param(0, CurrentTenant()),
    __param(1, Param('orgId', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String]),
    __metadata("design:returntype", Promise)
], AdminLimitsController.prototype, "read", null);
__decorate([
    Put(':orgId/limits'),
    SuperAdmin(),
    NoOrg(),
    NoTransaction() // the write runs in its own transaction with the target org set
    ,
    ApiOkResponse({ type: EffectiveLimitsDto }),
    ApiForbiddenResponse({ description: 'the caller is not a platform super_admin' }),
    ApiNotFoundResponse({ description: 'no such org' }),
    __param(0, CurrentTenant()),
    __param(1, Param('orgId', UuidPipe)),
    __param(2, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String, UpdateLimitsDto]),
    __metadata("design:returntype", Promise)
], AdminLimitsController.prototype, "update", null);
AdminLimitsController = __decorate([
    ApiTags('limits'),
    ApiBearerAuth(),
    Controller('v1/admin/orgs'),
    __metadata("design:paramtypes", [LimitsService])
], AdminLimitsController);
export { AdminLimitsController };
//# sourceMappingURL=limits.controller.js.map