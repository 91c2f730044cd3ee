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
import { Body, Controller, Get, Inject, Module, Param, Put } from '@nestjs/common';
import { CurrentTenant, NoTransaction } from '../../src/common/decorators/auth.decorators.js';
import { FlagKey } from '../../src/modules/flags/flag-key.js';
import { FlagKeyPipe } from '../../src/modules/flags/flag-key.pipe.js';
import { FlagsService } from '../../src/modules/flags/flags.service.js';
import { RequireFlag } from '../../src/modules/flags/require-flag.decorator.js';
import { UpsertFlagDto } from '../../src/modules/flags/dto/flags.dto.js';
/** Test-only routes: one behind a flag, and a flag write that "forgot" @SuperAdmin(). */
let FlaggedController = class FlaggedController {
    constructor(flags) {
        this.flags = flags;
    }
    hybrid() {
        return { ok: true };
    }
    unguarded(t, key, body) {
        return this.flags.upsertFlag(t, key, body);
    }
};
__decorate([
    Get('hybrid'),
    RequireFlag(FlagKey.HybridSearch),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", Object)
], FlaggedController.prototype, "hybrid", null);
__decorate([
    Put('unguarded/:key'),
    NoTransaction(),
    __param(0, CurrentTenant()),
    __param(1, Param('key', FlagKeyPipe)),
    __param(2, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String, UpsertFlagDto]),
    __metadata("design:returntype", void 0)
], FlaggedController.prototype, "unguarded", null);
FlaggedController = __decorate([
    Controller('test/flags'),
    __param(0, Inject(FlagsService)),
    __metadata("design:paramtypes", [FlagsService])
], FlaggedController);
let FlaggedTestModule = class FlaggedTestModule {
};
FlaggedTestModule = __decorate([
    Module({ controllers: [FlaggedController] })
], FlaggedTestModule);
export { FlaggedTestModule };
//# sourceMappingURL=flagged.module.js.map