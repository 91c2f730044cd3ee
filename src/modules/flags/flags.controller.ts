import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Page } from '../../common/dto/page.dto.js';
import { CurrentTenant, NoOrg, NoTransaction, SuperAdmin } from '../../common/decorators/auth.decorators.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { FLAG_KEYS, FlagKey } from './flag-key.js';
import { FlagKeyPipe } from './flag-key.pipe.js';
import type { FlagMap } from './flags.evaluate.js';
import { FlagsService } from './flags.service.js';
import { AdminFlagDto, AuditQueryDto, FlagAuditDto, FlagOverrideDto, SetOverrideDto, UpsertFlagDto } from './dto/flags.dto.js';

@ApiTags('flags')
@ApiBearerAuth()
@Controller('v1/flags')
export class FlagsController {
  constructor(private readonly flags: FlagsService) {}

  @Get()
  @ApiOkResponse({
    description: 'Effective flags of the caller org',
    schema: { type: 'object', properties: Object.fromEntries(FLAG_KEYS.map((k) => [k, { type: 'boolean' }])) },
  })
  effective(@CurrentTenant() t: TenantContext): Promise<FlagMap> {
    return this.flags.effective(t);
  }
}

/** Platform administration of flags: super_admin only, no org context. Every write is audited by the database. */
@ApiTags('flags')
@ApiBearerAuth()
@SuperAdmin()
@NoOrg()
@Controller('v1/admin/flags')
export class AdminFlagsController {
  constructor(private readonly flags: FlagsService) {}

  @Get()
  @ApiOkResponse({ type: [AdminFlagDto] })
  async list(): Promise<{ data: AdminFlagDto[] }> {
    return { data: await this.flags.list() };
  }

  @Get('audit')
  @ApiOkResponse({ type: [FlagAuditDto], description: 'Every write to flags and overrides, newest first: `{data, next_cursor}`' })
  audit(@Query() q: AuditQueryDto): Promise<Page<FlagAuditDto>> {
    return this.flags.audit(q.flag_key, q.limit, q.cursor);
  }

  @Put(':key')
  @NoTransaction()
  @ApiParam({ name: 'key', enum: FlagKey })
  @ApiOkResponse({ type: AdminFlagDto })
  upsert(@CurrentTenant() t: TenantContext, @Param('key', FlagKeyPipe) key: FlagKey, @Body() body: UpsertFlagDto): Promise<AdminFlagDto> {
    return this.flags.upsertFlag(t, key, body);
  }

  @Put(':key/orgs/:orgId')
  @NoTransaction()
  @ApiParam({ name: 'key', enum: FlagKey })
  @ApiOkResponse({ type: FlagOverrideDto })
  setOverride(
    @CurrentTenant() t: TenantContext,
    @Param('key', FlagKeyPipe) key: FlagKey,
    @Param('orgId', UuidPipe) orgId: string,
    @Body() body: SetOverrideDto,
  ): Promise<FlagOverrideDto> {
    return this.flags.setOverride(t, key, orgId, body.enabled);
  }

  @Delete(':key/orgs/:orgId')
  @NoTransaction()
  @ApiParam({ name: 'key', enum: FlagKey })
  @HttpCode(204)
  clearOverride(@CurrentTenant() t: TenantContext, @Param('key', FlagKeyPipe) key: FlagKey, @Param('orgId', UuidPipe) orgId: string): Promise<void> {
    return this.flags.clearOverride(t, key, orgId);
  }
}
