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
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiGoneResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse, } from '@nestjs/swagger';
import { AllowNewUser, CurrentTenant, NoOrg, Roles, TokenEmail, } from '../../common/decorators/auth.decorators.js';
import { PageQueryDto } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { AcceptedInvitationDto, CreatedInvitationDto, CreateInvitationDto, DefaultOrgAnswerDto, DefaultOrgDto, InvitationPageDto, MemberDto, MemberListDto, OrgDto, UpdateMemberDto, } from './dto/org.dto.js';
import { OrgService } from './org.service.js';
const NO_TOKEN = 'no, a bad or an expired bearer token';
const NO_ORG = 'no org named (X-Org-Id, token claim, default org) and the caller belongs to none; or malformed input';
const NOT_ADMIN = 'the caller is not an admin (or, for owner changes, not an owner) of the org, or not a member of the org named';
const LIMITED = "the org's api rate limit";
let OrgController = class OrgController {
    constructor(org) {
        this.org = org;
    }
    current(t) {
        return this.org.current(t);
    }
    async members() {
        return { data: await this.org.members() };
    }
    leave(t) {
        return this.org.leave(t);
    }
    updateMember(t, userId, body) {
        return this.org.updateMember(t, userId, body.role);
    }
    removeMember(t, userId) {
        return this.org.removeMember(t, userId);
    }
    invite(t, body) {
        return this.org.invite(t, body);
    }
    invitations(q) {
        return this.org.invitations(q.limit, q.cursor);
    }
    revoke(id) {
        return this.org.revokeInvitation(id);
    }
};
__decorate([
    Get(),
    ApiOkResponse({ type: OrgDto }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: 'not a member of the org named' }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "current", null);
__decorate([
    Get('members'),
    Roles('admin'),
    ApiOkResponse({ type: MemberListDto }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: NOT_ADMIN }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "members", null);
__decorate([
    Delete('members/me'),
    HttpCode(204),
    ApiNoContentResponse({ description: 'left the org' }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: 'not a member of the org named' }),
    ApiConflictResponse({ description: 'the caller is the last owner: an org keeps at least one owner' }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "leave", null);
__decorate([
    Patch('members/:userId'),
    Roles('admin'),
    ApiOkResponse({ type: MemberDto }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: NOT_ADMIN }),
    ApiNotFoundResponse({ description: 'no such member of this org' }),
    ApiConflictResponse({ description: 'it would leave the org without an owner' }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, CurrentTenant()),
    __param(1, Param('userId', UuidPipe)),
    __param(2, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String, UpdateMemberDto]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "updateMember", null);
__decorate([
    Delete('members/:userId'),
    Roles('admin'),
    HttpCode(204),
    ApiNoContentResponse({ description: 'removed' }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: NOT_ADMIN }),
    ApiNotFoundResponse({ description: 'no such member of this org' }),
    ApiConflictResponse({ description: 'it would leave the org without an owner' }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, CurrentTenant()),
    __param(1, Param('userId', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, String]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "removeMember", null);
__decorate([
    Post('invitations'),
    Roles('admin'),
    ApiCreatedResponse({ type: CreatedInvitationDto, description: 'the token is shown in this answer only' }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: NOT_ADMIN }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, CurrentTenant()),
    __param(1, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, CreateInvitationDto]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "invite", null);
__decorate([
    Get('invitations'),
    Roles('admin'),
    ApiOkResponse({ type: InvitationPageDto }),
    ApiBadRequestResponse({ description: `${NO_ORG}; or a bad limit or cursor` }),
    ApiForbiddenResponse({ description: NOT_ADMIN }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [PageQueryDto]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "invitations", null);
__decorate([
    Delete('invitations/:id'),
    Roles('admin'),
    HttpCode(204),
    ApiNoContentResponse({ description: 'revoked (also when it already was)' }),
    ApiBadRequestResponse({ description: NO_ORG }),
    ApiForbiddenResponse({ description: NOT_ADMIN }),
    ApiNotFoundResponse({ description: 'absent or another org’s' }),
    ApiConflictResponse({ description: 'already accepted: remove the member instead' }),
    ApiTooManyRequestsResponse({ description: LIMITED }),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], OrgController.prototype, "revoke", null);
OrgController = __decorate([
    ApiTags('org'),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: NO_TOKEN }),
    Controller('v1/org'),
    __metadata("design:paramtypes", [OrgService])
], OrgController);
export { OrgController };
let InvitationsController = class InvitationsController {
    constructor(org) {
        this.org = org;
    }
    /**
     * The invitee, with their own token and no org. A user the platform has not seen yet is created
     * from the token's `sub` and `email` claims. The account e-mail (or, for a new user, the token's)
     * must be the invited one.
     */
    accept(token, email) {
        return this.org.accept(token, email);
    }
};
__decorate([
    Post(':token/accept'),
    NoOrg(),
    AllowNewUser(),
    HttpCode(200),
    ApiParam({ name: 'token', description: 'the token from POST /v1/org/invitations' }),
    ApiOkResponse({ type: AcceptedInvitationDto, description: 'now a member of org_id with role' }),
    ApiBadRequestResponse({ description: 'a malformed X-Org-Id header' }),
    ApiForbiddenResponse({ description: 'X-Org-Id names an org the caller is not a member of' }),
    ApiNotFoundResponse({
        description: 'no such invitation for this caller (wrong token, or not the invited e-mail)',
    }),
    ApiConflictResponse({ description: 'already accepted, or the caller already belongs to the org' }),
    ApiGoneResponse({ description: 'revoked or expired (told to the invited e-mail only)' }),
    __param(0, Param('token')),
    __param(1, TokenEmail()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String, Object]),
    __metadata("design:returntype", Promise)
], InvitationsController.prototype, "accept", null);
InvitationsController = __decorate([
    ApiTags('org'),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: NO_TOKEN }),
    Controller('v1/invitations'),
    __metadata("design:paramtypes", [OrgService])
], InvitationsController);
export { InvitationsController };
let MeController = class MeController {
    constructor(org) {
        this.org = org;
    }
    /** The org a request goes to when it names none (no X-Org-Id, no org claim in the token). */
    setDefaultOrg(body) {
        return this.org.setDefaultOrg(body.org_id.toLowerCase());
    }
};
__decorate([
    Put('default-org'),
    NoOrg(),
    ApiOkResponse({ type: DefaultOrgAnswerDto }),
    ApiBadRequestResponse({ description: 'org_id is not a uuid' }),
    ApiForbiddenResponse({ description: 'X-Org-Id names an org the caller is not a member of' }),
    ApiNotFoundResponse({ description: 'the caller is not a member of that org' }),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [DefaultOrgDto]),
    __metadata("design:returntype", Promise)
], MeController.prototype, "setDefaultOrg", null);
MeController = __decorate([
    ApiTags('org'),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: NO_TOKEN }),
    Controller('v1/me'),
    __metadata("design:paramtypes", [OrgService])
], MeController);
export { MeController };
//# sourceMappingURL=org.controller.js.map