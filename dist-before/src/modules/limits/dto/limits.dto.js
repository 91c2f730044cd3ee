var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export class PolicyOverrideDto {
}
__decorate([
    ApiPropertyOptional({ minimum: 1, maximum: 1_000_000_000, description: 'units per window' }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(1_000_000_000),
    __metadata("design:type", Number)
], PolicyOverrideDto.prototype, "limit", void 0);
__decorate([
    ApiPropertyOptional({ minimum: 1, maximum: 86_400 }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(86_400),
    __metadata("design:type", Number)
], PolicyOverrideDto.prototype, "window_s", void 0);
__decorate([
    ApiPropertyOptional({
        minimum: 1,
        maximum: 1_000_000_000,
        nullable: true,
        description: 'units that pass at once from a full bucket (default: the limit); null resets it',
    }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(1_000_000_000),
    __metadata("design:type", Object)
], PolicyOverrideDto.prototype, "burst", void 0);
__decorate([
    ApiPropertyOptional({ description: 'count and log, never block' }),
    IsOptional(),
    IsBoolean(),
    __metadata("design:type", Boolean)
], PolicyOverrideDto.prototype, "dry_run", void 0);
__decorate([
    ApiPropertyOptional({ minimum: 1, maximum: 1000, description: 'in-flight streams per org (tts)' }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(1000),
    __metadata("design:type", Number)
], PolicyOverrideDto.prototype, "concurrency", void 0);
/** A monthly quota in units; null clears it. */
const quota = () => applyDecorators(ApiPropertyOptional({ nullable: true }), ValidateIf((_, v) => v !== null), IsOptional(), IsInt(), Min(0), Max(1e15));
export class QuotasDto {
}
__decorate([
    quota(),
    __metadata("design:type", Object)
], QuotasDto.prototype, "tts_characters", void 0);
__decorate([
    quota(),
    __metadata("design:type", Object)
], QuotasDto.prototype, "embedding_inputs", void 0);
__decorate([
    quota(),
    __metadata("design:type", Object)
], QuotasDto.prototype, "crawled_pages", void 0);
__decorate([
    quota(),
    __metadata("design:type", Object)
], QuotasDto.prototype, "ocr_pages", void 0);
/** A cap on what an org keeps; null puts the platform's (LIMITS_MAX_*) back. */
const cap = (description) => applyDecorators(ApiPropertyOptional({ nullable: true, minimum: 1, description }), ValidateIf((_, v) => v !== null), IsOptional(), IsInt(), Min(1), Max(1e9));
export class CapsDto {
}
__decorate([
    cap('chunks the org may keep in the vector indexes, private and market copies together (default LIMITS_MAX_STORED_CHUNKS)'),
    __metadata("design:type", Object)
], CapsDto.prototype, "stored_chunks", void 0);
__decorate([
    cap('ingest jobs the org may have waiting (default LIMITS_MAX_QUEUED_JOBS)'),
    __metadata("design:type", Object)
], CapsDto.prototype, "queued_jobs", void 0);
const policy = () => (target, key) => {
    ApiPropertyOptional({ type: PolicyOverrideDto, nullable: true, description: 'null resets to the default' })(target, key);
    ValidateIf((_, v) => v !== null)(target, key);
    IsOptional()(target, key);
    ValidateNested()(target, key);
    Type(() => PolicyOverrideDto)(target, key);
};
/** Omitted policies keep their value; given fields merge; null resets to the default. */
export class UpdateLimitsDto {
}
__decorate([
    policy(),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "api", void 0);
__decorate([
    policy(),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "search", void 0);
__decorate([
    policy(),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "tts", void 0);
__decorate([
    policy(),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "embeddings", void 0);
__decorate([
    policy(),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "crawl", void 0);
__decorate([
    policy(),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "ocr", void 0);
__decorate([
    ApiPropertyOptional({
        type: QuotasDto,
        nullable: true,
        description: 'monthly quotas per unit (UTC months)',
    }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    ValidateNested(),
    Type(() => QuotasDto),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "quotas", void 0);
__decorate([
    ApiPropertyOptional({
        type: CapsDto,
        nullable: true,
        description: 'what the org may keep: past a cap, requests that would add to it are 429 quota-exceeded',
    }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    ValidateNested(),
    Type(() => CapsDto),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "caps", void 0);
__decorate([
    ApiPropertyOptional({ minimum: 1, maximum: 1000, nullable: true }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(1000),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "job_concurrency", void 0);
__decorate([
    ApiPropertyOptional({
        minimum: 1,
        maximum: 100000,
        nullable: true,
        description: 'ingest job starts per second for this org (null: the platform default, INGEST_ORG_RATE)',
    }),
    ValidateIf((_, v) => v !== null),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(100_000),
    __metadata("design:type", Object)
], UpdateLimitsDto.prototype, "job_rate", void 0);
export class PolicyLimitDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], PolicyLimitDto.prototype, "limit", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], PolicyLimitDto.prototype, "window_s", void 0);
__decorate([
    ApiProperty({ description: 'token-bucket capacity: units that pass at once' }),
    __metadata("design:type", Number)
], PolicyLimitDto.prototype, "burst", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Boolean)
], PolicyLimitDto.prototype, "dry_run", void 0);
__decorate([
    ApiPropertyOptional(),
    __metadata("design:type", Number)
], PolicyLimitDto.prototype, "concurrency", void 0);
__decorate([
    ApiProperty({ enum: ['default', 'org'] }),
    __metadata("design:type", String)
], PolicyLimitDto.prototype, "source", void 0);
export class EffectiveLimitsDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], EffectiveLimitsDto.prototype, "org_id", void 0);
__decorate([
    ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/PolicyLimitDto' } }),
    __metadata("design:type", Object)
], EffectiveLimitsDto.prototype, "policies", void 0);
__decorate([
    ApiProperty({ type: 'object', additionalProperties: { type: 'integer', nullable: true } }),
    __metadata("design:type", Object)
], EffectiveLimitsDto.prototype, "quotas", void 0);
__decorate([
    ApiProperty({ nullable: true, type: Number }),
    __metadata("design:type", Object)
], EffectiveLimitsDto.prototype, "job_concurrency", void 0);
__decorate([
    ApiProperty({ nullable: true, description: 'null: the platform default (INGEST_ORG_RATE)' }),
    __metadata("design:type", Object)
], EffectiveLimitsDto.prototype, "job_rate", void 0);
__decorate([
    ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, description: 'stored_chunks, queued_jobs' }),
    __metadata("design:type", Object)
], EffectiveLimitsDto.prototype, "caps", void 0);
export class UsageQueryDto {
}
__decorate([
    ApiPropertyOptional({ example: '2026-11-01', description: 'default: first day of this UTC month' }),
    IsOptional(),
    Matches(DAY, { message: 'from must be YYYY-MM-DD' }),
    __metadata("design:type", String)
], UsageQueryDto.prototype, "from", void 0);
__decorate([
    ApiPropertyOptional({ example: '2026-11-30', description: 'default: today (UTC)' }),
    IsOptional(),
    Matches(DAY, { message: 'to must be YYYY-MM-DD' }),
    __metadata("design:type", String)
], UsageQueryDto.prototype, "to", void 0);
export class UsageDayDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], UsageDayDto.prototype, "day", void 0);
__decorate([
    ApiProperty({ enum: ['tts_characters', 'embedding_inputs', 'crawled_pages', 'ocr_pages'] }),
    __metadata("design:type", String)
], UsageDayDto.prototype, "unit", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], UsageDayDto.prototype, "amount", void 0);
export class UsageDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], UsageDto.prototype, "from", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], UsageDto.prototype, "to", void 0);
__decorate([
    ApiProperty({ type: [UsageDayDto] }),
    __metadata("design:type", Array)
], UsageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({
        type: 'object',
        additionalProperties: { type: 'integer' },
        description: 'sum per unit over the range',
    }),
    __metadata("design:type", Object)
], UsageDto.prototype, "totals", void 0);
//# sourceMappingURL=limits.dto.js.map