import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  AllowNewUser,
  CurrentTenant,
  NoOrg,
  Roles,
  TokenEmail,
} from '../../common/decorators/auth.decorators.js';
import { PageQueryDto, type Page } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import {
  AcceptedInvitationDto,
  CreatedInvitationDto,
  CreateInvitationDto,
  DefaultOrgAnswerDto,
  DefaultOrgDto,
  InvitationDto,
  InvitationPageDto,
  MemberDto,
  MemberPageDto,
  OrgDto,
  UpdateMemberDto,
} from './dto/org.dto.js';
import { OrgService } from './org.service.js';

const NO_TOKEN = 'no, a bad or an expired bearer token';
const NO_ORG =
  'no org named (X-Org-Id, token claim, default org) and the caller belongs to none; or malformed input';
const NOT_ADMIN =
  'the caller is not an admin (or, for owner changes, not an owner) of the org, or not a member of the org named';
const LIMITED = "the org's api rate limit";

@ApiTags('org')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: NO_TOKEN })
@Controller('v1/org')
export class OrgController {
  constructor(private readonly org: OrgService) {}

  @Get()
  @ApiOkResponse({ type: OrgDto })
  @ApiBadRequestResponse({ description: NO_ORG })
  @ApiForbiddenResponse({ description: 'not a member of the org named' })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  current(@CurrentTenant() t: TenantContext): Promise<OrgDto> {
    return this.org.current(t);
  }

  @Get('members')
  @Roles('admin')
  @ApiOkResponse({ type: MemberPageDto })
  @ApiBadRequestResponse({ description: `${NO_ORG}; or a bad limit or cursor` })
  @ApiForbiddenResponse({ description: NOT_ADMIN })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  members(@Query() q: PageQueryDto): Promise<Page<MemberDto>> {
    return this.org.members(q.limit, q.cursor);
  }

  @Delete('members/me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'left the org' })
  @ApiBadRequestResponse({ description: NO_ORG })
  @ApiForbiddenResponse({ description: 'not a member of the org named' })
  @ApiConflictResponse({ description: 'the caller is the last owner: an org keeps at least one owner' })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  leave(@CurrentTenant() t: TenantContext): Promise<void> {
    return this.org.leave(t);
  }

  @Patch('members/:userId')
  @Roles('admin')
  @ApiOkResponse({ type: MemberDto })
  @ApiBadRequestResponse({ description: NO_ORG })
  @ApiForbiddenResponse({ description: NOT_ADMIN })
  @ApiNotFoundResponse({ description: 'no such member of this org' })
  @ApiConflictResponse({ description: 'it would leave the org without an owner' })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  updateMember(
    @CurrentTenant() t: TenantContext,
    @Param('userId', UuidPipe) userId: string,
    @Body() body: UpdateMemberDto,
  ): Promise<MemberDto> {
    return this.org.updateMember(t, userId, body.role);
  }

  @Delete('members/:userId')
  @Roles('admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'removed' })
  @ApiBadRequestResponse({ description: NO_ORG })
  @ApiForbiddenResponse({ description: NOT_ADMIN })
  @ApiNotFoundResponse({ description: 'no such member of this org' })
  @ApiConflictResponse({ description: 'it would leave the org without an owner' })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  removeMember(@CurrentTenant() t: TenantContext, @Param('userId', UuidPipe) userId: string): Promise<void> {
    return this.org.removeMember(t, userId);
  }

  @Post('invitations')
  @Roles('admin')
  @ApiCreatedResponse({ type: CreatedInvitationDto, description: 'the token is shown in this answer only' })
  @ApiBadRequestResponse({ description: NO_ORG })
  @ApiForbiddenResponse({ description: NOT_ADMIN })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  invite(
    @CurrentTenant() t: TenantContext,
    @Body() body: CreateInvitationDto,
  ): Promise<CreatedInvitationDto> {
    return this.org.invite(t, body);
  }

  @Get('invitations')
  @Roles('admin')
  @ApiOkResponse({ type: InvitationPageDto })
  @ApiBadRequestResponse({ description: `${NO_ORG}; or a bad limit or cursor` })
  @ApiForbiddenResponse({ description: NOT_ADMIN })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  invitations(@Query() q: PageQueryDto): Promise<Page<InvitationDto>> {
    return this.org.invitations(q.limit, q.cursor);
  }

  @Delete('invitations/:id')
  @Roles('admin')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'revoked (also when it already was)' })
  @ApiBadRequestResponse({ description: NO_ORG })
  @ApiForbiddenResponse({ description: NOT_ADMIN })
  @ApiNotFoundResponse({ description: 'absent or another org’s' })
  @ApiConflictResponse({ description: 'already accepted: remove the member instead' })
  @ApiTooManyRequestsResponse({ description: LIMITED })
  revoke(@Param('id', UuidPipe) id: string): Promise<void> {
    return this.org.revokeInvitation(id);
  }
}

@ApiTags('org')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: NO_TOKEN })
@Controller('v1/invitations')
export class InvitationsController {
  constructor(private readonly org: OrgService) {}

  /**
   * The invitee, with their own token and no org. A user the platform has not seen yet is created
   * from the token's `sub` and `email` claims. The account e-mail (or, for a new user, the token's)
   * must be the invited one.
   */
  @Post(':token/accept')
  @NoOrg()
  @AllowNewUser()
  @HttpCode(200)
  @ApiParam({ name: 'token', description: 'the token from POST /v1/org/invitations' })
  @ApiOkResponse({ type: AcceptedInvitationDto, description: 'now a member of org_id with role' })
  @ApiBadRequestResponse({ description: 'a malformed X-Org-Id header' })
  @ApiForbiddenResponse({ description: 'X-Org-Id names an org the caller is not a member of' })
  @ApiNotFoundResponse({
    description: 'no such invitation for this caller (wrong token, or not the invited e-mail)',
  })
  @ApiConflictResponse({ description: 'already accepted, or the caller already belongs to the org' })
  @ApiGoneResponse({ description: 'revoked or expired (told to the invited e-mail only)' })
  accept(
    @Param('token') token: string,
    @TokenEmail() email: string | undefined,
  ): Promise<AcceptedInvitationDto> {
    return this.org.accept(token, email);
  }
}

@ApiTags('org')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: NO_TOKEN })
@Controller('v1/me')
export class MeController {
  constructor(private readonly org: OrgService) {}

  /** The org a request goes to when it names none (no X-Org-Id, no org claim in the token). */
  @Put('default-org')
  @NoOrg()
  @ApiOkResponse({ type: DefaultOrgAnswerDto })
  @ApiBadRequestResponse({ description: 'org_id is not a uuid' })
  @ApiForbiddenResponse({ description: 'X-Org-Id names an org the caller is not a member of' })
  @ApiNotFoundResponse({ description: 'the caller is not a member of that org' })
  setDefaultOrg(@Body() body: DefaultOrgDto): Promise<DefaultOrgAnswerDto> {
    return this.org.setDefaultOrg(body.org_id.toLowerCase());
  }
}
