import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, Roles } from '../../common/decorators/auth.decorators.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { AddMemberDto, MemberDto, OrgDto } from './dto/org.dto.js';
import { OrgService } from './org.service.js';

@ApiTags('org')
@ApiBearerAuth()
@Controller('v1/org')
export class OrgController {
  constructor(private readonly org: OrgService) {}

  @Get()
  @ApiOkResponse({ type: OrgDto })
  current(@CurrentTenant() t: TenantContext): Promise<OrgDto> {
    return this.org.current(t);
  }

  @Get('members')
  @Roles('admin')
  @ApiOkResponse({ type: [MemberDto] })
  async members(): Promise<{ data: MemberDto[] }> {
    return { data: await this.org.members() };
  }

  @Post('members')
  @Roles('admin')
  @ApiOkResponse({ type: MemberDto })
  addMember(@CurrentTenant() t: TenantContext, @Body() body: AddMemberDto): Promise<MemberDto> {
    return this.org.addMember(t, body);
  }

  @Delete('members/:userId')
  @Roles('admin')
  @HttpCode(204)
  removeMember(@CurrentTenant() t: TenantContext, @Param('userId', UuidPipe) userId: string): Promise<void> {
    return this.org.removeMember(t, userId);
  }
}
