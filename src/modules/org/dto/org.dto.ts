import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, Matches, ValidateIf } from 'class-validator';
import { UUID_PATTERN } from '../../../common/uuid.js';

export class OrgDto {
  @ApiProperty() id: string;
  @ApiProperty() slug: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member', 'viewer'] }) role: string;
  @ApiProperty() is_super_admin: boolean;
}

export class MemberDto {
  @ApiProperty() user_id: string;
  @ApiProperty() email: string;
  @ApiProperty({ nullable: true }) display_name: string | null;
  @ApiProperty({ enum: ['owner', 'admin', 'member', 'viewer'] }) role: string;
  @ApiProperty() created_at: string;
}

/** Add (or change the role of) a member, by user id or email. */
export class AddMemberDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateIf((o) => o.email === undefined)
  @Matches(UUID_PATTERN, { message: 'user_id must be a UUID' })
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsEmail()
  email?: string;

  @ApiProperty({ enum: ['owner', 'admin', 'member', 'viewer'] })
  @IsIn(['owner', 'admin', 'member', 'viewer'])
  role: 'owner' | 'admin' | 'member' | 'viewer';
}
