import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, Matches, MaxLength } from 'class-validator';
import { UUID_PATTERN } from '../../../common/uuid.js';
import type { OrgRole } from '../../../tenancy/tenant-context.js';

export const ORG_ROLES: OrgRole[] = ['owner', 'admin', 'member', 'viewer'];

export class OrgDto {
  @ApiProperty() id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ORG_ROLES }) role: string;
  @ApiProperty() is_super_admin: boolean;
}

export class MemberDto {
  @ApiProperty() user_id: string;
  @ApiProperty() email: string;
  @ApiProperty({ nullable: true, type: String }) display_name: string | null;
  @ApiProperty({ enum: ORG_ROLES }) role: string;
  @ApiProperty() created_at: string;
}

export class MemberPageDto {
  @ApiProperty({ type: [MemberDto] }) data: MemberDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

/** Change a member's role. Only an owner grants or takes away `owner`. */
export class UpdateMemberDto {
  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

/** Invite an e-mail into the current org with a role. Only an owner invites as `owner`. */
export class CreateInvitationDto {
  @ApiProperty({ example: 'someone@example.com' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(320)
  email: string;

  @ApiProperty({ enum: ORG_ROLES })
  @IsIn(ORG_ROLES)
  role: OrgRole;
}

export class InvitationDto {
  @ApiProperty() id: string;
  @ApiProperty() email: string;
  @ApiProperty({ enum: ORG_ROLES }) role: string;
  @ApiProperty({ enum: ['pending', 'accepted', 'revoked', 'expired'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) invited_by: string | null;
  @ApiProperty() expires_at: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) accepted_at: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at: string | null;
}

export class CreatedInvitationDto extends InvitationDto {
  @ApiProperty({
    description:
      'Single use, shown only in this answer (the server keeps a hash): the invitee accepts it with ' +
      'POST /v1/invitations/{token}/accept',
  })
  token: string;
}

export class InvitationPageDto {
  @ApiProperty({ type: [InvitationDto] }) data: InvitationDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class AcceptedInvitationDto {
  @ApiProperty() org_id: string;
  @ApiProperty({ enum: ORG_ROLES }) role: string;
}

export class DefaultOrgDto {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'org_id must be a UUID' })
  org_id: string;
}

export class DefaultOrgAnswerDto {
  @ApiProperty() default_org_id: string;
}
