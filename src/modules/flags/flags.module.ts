import { Global, Module } from '@nestjs/common';
import { AdminFlagsController, FlagsController } from './flags.controller.js';
import { FlagsCache } from './flags.cache.js';
import { FlagsRepository } from './flags.repository.js';
import { FlagsService } from './flags.service.js';
import { FeatureFlagGuard } from './require-flag.decorator.js';

/** Global so that any feature module can put @RequireFlag(FlagKey.X) on its routes. */
@Global()
@Module({
  controllers: [FlagsController, AdminFlagsController],
  providers: [FlagsService, FlagsRepository, FlagsCache, FeatureFlagGuard],
  exports: [FlagsService, FeatureFlagGuard],
})
export class FlagsModule {}
