var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Global, Module } from '@nestjs/common';
import { AdminFlagsController, FlagsController } from './flags.controller.js';
import { FlagsCache } from './flags.cache.js';
import { FlagsRepository } from './flags.repository.js';
import { FlagsService } from './flags.service.js';
import { FeatureFlagGuard } from './require-flag.decorator.js';
/** Global so that any feature module can put @RequireFlag(FlagKey.X) on its routes. */
let FlagsModule = class FlagsModule {
};
FlagsModule = __decorate([
    Global(),
    Module({
        controllers: [FlagsController, AdminFlagsController],
        providers: [FlagsService, FlagsRepository, FlagsCache, FeatureFlagGuard],
        exports: [FlagsService, FeatureFlagGuard],
    })
], FlagsModule);
export { FlagsModule };
//# sourceMappingURL=flags.module.js.map