import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, NoOrg, NoTransaction, SuperAdmin } from '../../common/decorators/auth.decorators.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import {
  EffectiveLimitsDto,
  PolicyLimitDto,
  UpdateLimitsDto,
  UsageDto,
  UsageQueryDto,
} from './dto/limits.dto.js';
import { LimitsService } from './limits.service.js';
import { UsageService } from './usage.service.js';

@ApiTags('limits')
@ApiBearerAuth()
@ApiExtraModels(PolicyLimitDto)
@Controller('v1/org')
export class OrgLimitsController {
  constructor(
    private readonly limits: LimitsService,
    private readonly usage: UsageService,
  ) {}

  /** The org's effective rate limits, quotas and job concurrency (defaults with its overrides). */
  @Get('limits')
  @ApiOkResponse({ type: EffectiveLimitsDto })
  get(@CurrentTenant() t: TenantContext): Promise<EffectiveLimitsDto> {
    return this.limits.forTenant(t);
  }

  /** Metered usage per day and unit (UTC days). */
  @Get('usage')
  @ApiOkResponse({ type: UsageDto })
  usageReport(@CurrentTenant() t: TenantContext, @Query() q: UsageQueryDto): Promise<UsageDto> {
    return this.usage.report(t, q.from, q.to);
  }
}

@ApiTags('limits')
@ApiBearerAuth()
@Controller('v1/admin/orgs')
export class AdminLimitsController {
  constructor(private readonly limits: LimitsService) {}

  /** Any org's effective limits (super_admin; an operator needs no membership of the org). */
  @Get(':orgId/limits')
  @SuperAdmin()
  @NoOrg()
  @NoTransaction() // the read runs in its own transaction with the target org set
  @ApiOkResponse({ type: EffectiveLimitsDto })
  @ApiForbiddenResponse({ description: 'the caller is not a platform super_admin' })
  @ApiNotFoundResponse({ description: 'no such org' })
  read(@CurrentTenant() t: TenantContext, @Param('orgId', UuidPipe) orgId: string): Promise<EffectiveLimitsDto> {
    return this.limits.forOrg(t, orgId);
  }

  /** Sets an org's overrides (super_admin). Omitted policies keep their value; null resets one. */
  @Put(':orgId/limits')
  @SuperAdmin()
  @NoOrg()
  @NoTransaction() // the write runs in its own transaction with the target org set
  @ApiOkResponse({ type: EffectiveLimitsDto })
  @ApiForbiddenResponse({ description: 'the caller is not a platform super_admin' })
  @ApiNotFoundResponse({ description: 'no such org' })
  update(
    @CurrentTenant() t: TenantContext,
    @Param('orgId', UuidPipe) orgId: string,
    @Body() body: UpdateLimitsDto,
  ): Promise<EffectiveLimitsDto> {
    return this.limits.update(t, orgId, body);
  }
}
