var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, Matches, MaxLength } from 'class-validator';
import { UUID_PATTERN } from '../../../common/uuid.js';
export const ORG_ROLES = ['owner', 'admin', 'member', 'viewer'];
export class OrgDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], OrgDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], OrgDto.prototype, "slug", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], OrgDto.prototype, "name", void 0);
__decorate([
    ApiProperty({ enum: ORG_ROLES }),
    __metadata("design:type", String)
], OrgDto.prototype, "role", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Boolean)
], OrgDto.prototype, "is_super_admin", void 0);
export class MemberDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MemberDto.prototype, "user_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MemberDto.prototype, "email", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], MemberDto.prototype, "display_name", void 0);
__decorate([
    ApiProperty({ enum: ORG_ROLES }),
    __metadata("design:type", String)
], MemberDto.prototype, "role", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MemberDto.prototype, "created_at", void 0);
export class MemberListDto {
}
__decorate([
    ApiProperty({ type: [MemberDto] }),
    __metadata("design:type", Array)
], MemberListDto.prototype, "data", void 0);
/** Change a member's role. Only an owner grants or takes away `owner`. */
export class UpdateMemberDto {
}
__decorate([
    ApiProperty({ enum: ORG_ROLES }),
    IsIn(ORG_ROLES),
    __metadata("design:type", String)
], UpdateMemberDto.prototype, "role", void 0);
/** Invite an e-mail into the current org with a role. Only an owner invites as `owner`. */
export class CreateInvitationDto {
}
__decorate([
    ApiProperty({ example: 'someone@example.com' }),
    Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value)),
    IsEmail(),
    MaxLength(320),
    __metadata("design:type", String)
], CreateInvitationDto.prototype, "email", void 0);
__decorate([
    ApiProperty({ enum: ORG_ROLES }),
    IsIn(ORG_ROLES),
    __metadata("design:type", String)
], CreateInvitationDto.prototype, "role", void 0);
export class InvitationDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], InvitationDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], InvitationDto.prototype, "email", void 0);
__decorate([
    ApiProperty({ enum: ORG_ROLES }),
    __metadata("design:type", String)
], InvitationDto.prototype, "role", void 0);
__decorate([
    ApiProperty({ enum: ['pending', 'accepted', 'revoked', 'expired'] }),
    __metadata("design:type", String)
], InvitationDto.prototype, "status", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], InvitationDto.prototype, "invited_by", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], InvitationDto.prototype, "expires_at", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], InvitationDto.prototype, "created_at", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], InvitationDto.prototype, "accepted_at", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], InvitationDto.prototype, "revoked_at", void 0);
export class CreatedInvitationDto extends InvitationDto {
}
__decorate([
    ApiProperty({
        description: 'Single use, shown only in this answer (the server keeps a hash): the invitee accepts it with ' +
            'POST /v1/invitations/{token}/accept',
    }),
    __metadata("design:type", String)
], CreatedInvitationDto.prototype, "token", void 0);
export class InvitationPageDto {
}
__decorate([
    ApiProperty({ type: [InvitationDto] }),
    __metadata("design:type", Array)
], InvitationPageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], InvitationPageDto.prototype, "next_cursor", void 0);
export class AcceptedInvitationDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], AcceptedInvitationDto.prototype, "org_id", void 0);
__decorate([
    ApiProperty({ enum: ORG_ROLES }),
    __metadata("design:type", String)
], AcceptedInvitationDto.prototype, "role", void 0);
export class DefaultOrgDto {
}
__decorate([
    ApiProperty({ format: 'uuid' }),
    Matches(UUID_PATTERN, { message: 'org_id must be a UUID' }),
    __metadata("design:type", String)
], DefaultOrgDto.prototype, "org_id", void 0);
export class DefaultOrgAnswerDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], DefaultOrgAnswerDto.prototype, "default_org_id", void 0);
//# sourceMappingURL=org.dto.js.map