import { Body, Controller, Get, Inject, Module, Param, Put } from '@nestjs/common';
import { CurrentTenant, NoTransaction } from '../../src/common/decorators/auth.decorators.js';
import type { TenantContext } from '../../src/tenancy/tenant-context.js';
import { FlagKey } from '../../src/modules/flags/flag-key.js';
import { FlagKeyPipe } from '../../src/modules/flags/flag-key.pipe.js';
import { FlagsService } from '../../src/modules/flags/flags.service.js';
import { RequireFlag } from '../../src/modules/flags/require-flag.decorator.js';
import { UpsertFlagDto } from '../../src/modules/flags/dto/flags.dto.js';

/** Test-only routes: one behind a flag, and a flag write that "forgot" @SuperAdmin(). */
@Controller('test/flags')
class FlaggedController {
  constructor(@Inject(FlagsService) private readonly flags: FlagsService) {}

  @Get('hybrid')
  @RequireFlag(FlagKey.HybridSearch)
  hybrid(): { ok: true } {
    return { ok: true };
  }

  @Put('unguarded/:key')
  @NoTransaction()
  unguarded(@CurrentTenant() t: TenantContext, @Param('key', FlagKeyPipe) key: FlagKey, @Body() body: UpsertFlagDto) {
    return this.flags.upsertFlag(t, key, body);
  }
}

@Module({ controllers: [FlaggedController] })
export class FlaggedTestModule {}
