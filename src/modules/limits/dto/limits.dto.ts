import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';

/** A calendar day, YYYY-MM-DD, that exists (not 2026-13-01 or 2026-02-30). */
const IsDay = (field: string) =>
  ValidateBy({
    name: 'isDay',
    validator: {
      validate: (v: unknown) => {
        if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
        const day = new Date(`${v}T00:00:00Z`);
        // an impossible day is invalid or rolls over (2026-02-30 is March 2nd): either way not v
        return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === v;
      },
      defaultMessage: () => `${field} must be a calendar day, YYYY-MM-DD`,
    },
  });

export class PolicyOverrideDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 1_000_000_000, description: 'units per window' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  limit?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 86_400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86_400)
  window_s?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1_000_000_000,
    nullable: true,
    description: 'units that pass at once from a full bucket (default: the limit); null resets it',
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  burst?: number | null;

  @ApiPropertyOptional({ description: 'count and log, never block' })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, description: 'in-flight streams per org (tts)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  concurrency?: number;
}

/** A monthly quota in units; null clears it. */
const quota = () =>
  applyDecorators(
    ApiPropertyOptional({ nullable: true }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    IsInt(),
    Min(0),
    Max(1e15),
  );

export class QuotasDto {
  @quota()
  tts_characters?: number | null;
  @quota()
  embedding_inputs?: number | null;
  @quota()
  crawled_pages?: number | null;
  @quota()
  ocr_pages?: number | null;
}

/** A cap on what an org keeps; null puts the platform's (LIMITS_MAX_*) back. */
const cap = (description: string, max = 1e9) =>
  applyDecorators(
    ApiPropertyOptional({ nullable: true, minimum: 1, maximum: max, description }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(max),
  );

export class CapsDto {
  @cap('chunks the org may keep in the vector indexes, private and market copies together (default LIMITS_MAX_STORED_CHUNKS)')
  stored_chunks?: number | null;
  @cap('ingest jobs the org may have waiting (default LIMITS_MAX_QUEUED_JOBS)')
  queued_jobs?: number | null;
  @cap('bytes of documents and messages the org may keep: item text and HTML, uploads waiting for OCR, thread messages (default LIMITS_MAX_STORED_BYTES)', 1e15)
  stored_bytes?: number | null;
}

const policy = () => (target: object, key: string) => {
  ApiPropertyOptional({ type: PolicyOverrideDto, nullable: true, description: 'null resets to the default' })(
    target,
    key,
  );
  ValidateIf((_: unknown, v: unknown) => v !== null)(target, key);
  IsOptional()(target, key);
  ValidateNested()(target, key);
  Type(() => PolicyOverrideDto)(target, key);
};

/** Omitted policies keep their value; given fields merge; null resets to the default. */
export class UpdateLimitsDto {
  @policy() api?: PolicyOverrideDto | null;
  @policy() search?: PolicyOverrideDto | null;
  @policy() tts?: PolicyOverrideDto | null;
  @policy() embeddings?: PolicyOverrideDto | null;
  @policy() crawl?: PolicyOverrideDto | null;
  @policy() ocr?: PolicyOverrideDto | null;
  @policy() publish?: PolicyOverrideDto | null;
  @policy() bytes?: PolicyOverrideDto | null;

  @ApiPropertyOptional({
    type: QuotasDto,
    nullable: true,
    description: 'monthly quotas per unit (UTC months)',
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @ValidateNested()
  @Type(() => QuotasDto)
  quotas?: QuotasDto | null;

  @ApiPropertyOptional({
    type: CapsDto,
    nullable: true,
    description: 'what the org may keep: past a cap, requests that would add to it are 429 quota-exceeded',
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @ValidateNested()
  @Type(() => CapsDto)
  caps?: CapsDto | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, nullable: true })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  job_concurrency?: number | null;
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100000,
    nullable: true,
    description: 'ingest job starts per second for this org (null: the platform default, INGEST_ORG_RATE)',
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  job_rate?: number | null;
}

export class PolicyLimitDto {
  @ApiProperty() limit: number;
  @ApiProperty() window_s: number;
  @ApiProperty({ description: 'token-bucket capacity: units that pass at once' }) burst: number;
  @ApiProperty() dry_run: boolean;
  @ApiPropertyOptional() concurrency?: number;
  @ApiProperty({ enum: ['default', 'org'] }) source: string;
}

export class EffectiveLimitsDto {
  @ApiProperty() org_id: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/PolicyLimitDto' } })
  policies: Record<string, PolicyLimitDto>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer', nullable: true } })
  quotas: Record<string, number | null>;
  @ApiProperty({ nullable: true, type: Number }) job_concurrency: number | null;
  @ApiProperty({ nullable: true, description: 'null: the platform default (INGEST_ORG_RATE)' }) job_rate:
    number | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'stored_chunks, queued_jobs, stored_bytes' })
  caps: Record<string, number>;
}

export class UsageQueryDto {
  @ApiPropertyOptional({ example: '2026-11-01', description: 'default: first day of this UTC month' })
  @IsOptional()
  @IsDay('from')
  from?: string;
  @ApiPropertyOptional({ example: '2026-11-30', description: 'default: today (UTC)' })
  @IsOptional()
  @IsDay('to')
  to?: string;
}

export class UsageDayDto {
  @ApiProperty() day: string;
  @ApiProperty({ enum: ['tts_characters', 'embedding_inputs', 'crawled_pages', 'ocr_pages'] }) unit: string;
  @ApiProperty() amount: number;
}

export class UsageDto {
  @ApiProperty() from: string;
  @ApiProperty() to: string;
  @ApiProperty({ type: [UsageDayDto] }) data: UsageDayDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'sum per unit over the range',
  })
  totals: Record<string, number>;
  @ApiProperty({ description: 'bytes of documents and messages the org keeps now (counted against caps.stored_bytes)' })
  stored_bytes: number;
}
