import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../../common/dto/page.dto.js';
import { FLAG_KEYS, FlagKey } from '../flag-key.js';

export class UpsertFlagDto {
  @ApiProperty({ description: 'Default for orgs without an override and outside the rollout' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'Share of orgs (by stable hash) that get the flag on; omitted keeps the current value (0 for a new row)' })
  @IsOptional() @IsInt() @Min(0) @Max(100)
  rollout_percent?: number;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;
}

export class SetOverrideDto {
  @ApiProperty()
  @IsBoolean()
  enabled: boolean;
}

export class FlagOverrideDto {
  @ApiProperty() org_id: string;
  @ApiProperty() flag_key: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty() updated_at: string;
}

export class AdminFlagDto {
  @ApiProperty() key: string;
  @ApiProperty() description: string;
  @ApiProperty() default_enabled: boolean;
  @ApiProperty({ minimum: 0, maximum: 100 }) rollout_percent: number;
  @ApiProperty({ description: 'false while the flag runs on its built-in default (no row yet)' }) configured: boolean;
  @ApiProperty({ nullable: true, type: String }) created_at: string | null;
  @ApiProperty({ nullable: true, type: String }) updated_at: string | null;
  @ApiProperty({ type: [FlagOverrideDto] }) overrides: FlagOverrideDto[];
}

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: FlagKey })
  @IsOptional() @IsIn(FLAG_KEYS)
  flag_key?: FlagKey;
}

export class FlagAuditDto {
  @ApiProperty() id: string;
  @ApiProperty() at: string;
  @ApiProperty({ nullable: true, type: String, description: 'null only for changes made by the database owner (e.g. an org deletion)' }) actor_user_id: string | null;
  @ApiProperty() flag_key: string;
  @ApiProperty({ nullable: true, type: String }) target_org_id: string | null;
  @ApiProperty({ enum: ['insert', 'update', 'delete'] }) action: string;
  @ApiProperty({ nullable: true, type: Object }) before: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: Object }) after: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String }) request_id: string | null;
}
