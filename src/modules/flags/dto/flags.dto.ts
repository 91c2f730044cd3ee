import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

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
