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
import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, NoOrg, NoTransaction, SuperAdmin } from '../../common/decorators/auth.decorators.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { FLAG_KEYS, FlagKey } from './flag-key.js';
import { FlagKeyPipe } from './flag-key.pipe.js';
import { FlagsService } from './flags.service.js';
import { AdminFlagDto, AuditQueryDto, FlagAuditDto, FlagOverrideDto, SetOverrideDto, UpsertFlagDto } from './dto/flags.dto.js';
let FlagsController = class FlagsController {
    constructor(flags) {
        this.flags = flags;
    }
    effective(t) {
        return this.flags.effective(t);
    }
};
__decorate([
    Get(),
    ApiOkResponse({
        description: 'Effective flags of the caller org',
        schema: { type: 'object', properties: Object.fromEntries(FLAG_KEYS.map((k) => [k, { type: 'boolean' }])) },
    }),
    __param(0, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object]),
    __metadata("design:returntype", Promise)
], FlagsController.prototype, "effective", null);
FlagsController = __decorate([
    ApiTags('flags'),
    ApiBearerAuth(),
    Controller('v1/flags'),
    __metadata("design:paramtypes", [FlagsService])
], FlagsController);
export { FlagsController };
/** Platform administration of flags: super_admin only, no org context. Every write is audited by the database. */
let AdminFlagsController = class AdminFlagsController {
    constructor(flags) {
        this.flags = flags;
    }
    async list() {
        return { data: await this.flags.list() };
    }
    audit(q) {
        return this.flags.audit(q.flag_key, q.limit, q.cursor);
    }
    upsert(t, key, body) {
        return this.flags.upsertFlag(t, key, body);
    }
    setOverride(t, key, orgId, body) {
        return this.flags.setOverride(t, key, orgId, body.enabled);
    }
    clearOverride(t, key, orgId) {
        return this.flags.clearOverride(t, key, orgId);
    }
};
__decorate([
    Get(),
    ApiOkResponse({ type: [AdminFlagDto] }),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", Promise)
], AdminFlagsController.prototype, "list", null);
__decorate([
    Get('audit'),
    ApiOkResponse({ type: [FlagAuditDto], description: 'Every write to flags and overrides, newest first: `{data, next_cursor}`' }),
    __param(0, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [AuditQueryDto]),
    __metadata("design:returntype", Promise)
], AdminFlagsController.prototype, "audit", null);
__decorate([
    Put(':key'),
    NoTransaction(),
    ApiParam({ name: 'key', enum: FlagKey }),
    ApiOkResponse({ type: AdminFlagDto }),
    __param(0, CurrentTenant()),
    __param(1, Param('key', FlagKeyPipe)),
    __param(2, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String, UpsertFlagDto]),
    __metadata("design:returntype", Promise)
], AdminFlagsController.prototype, "upsert", null);
__decorate([
    Put(':key/orgs/:orgId'),
    NoTransaction(),
    ApiParam({ name: 'key', enum: FlagKey }),
    ApiOkResponse({ type: FlagOverrideDto }),
    __param(0, CurrentTenant()),
    __param(1, Param('key', FlagKeyPipe)),
    __param(2, Param('orgId', UuidPipe)),
    __param(3, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String, String, SetOverrideDto]),
    __metadata("design:returntype", Promise)
], AdminFlagsController.prototype, "setOverride", null);
__decorate([
    Delete(':key/orgs/:orgId'),
    NoTransaction(),
    ApiParam({ name: 'key', enum: FlagKey }),
    HttpCode(204),
    __param(0, CurrentTenant()),
    __param(1, Param('key', FlagKeyPipe)),
    __param(2, Param('orgId', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String, String]),
    __metadata("design:returntype", Promise)
], AdminFlagsController.prototype, "clearOverride", null);
AdminFlagsController = __decorate([
    ApiTags('flags'),
    ApiBearerAuth(),
    SuperAdmin(),
    NoOrg(),
    Controller('v1/admin/flags'),
    __metadata("design:paramtypes", [FlagsService])
], AdminFlagsController);
export { AdminFlagsController };
//# sourceMappingURL=flags.controller.js.map