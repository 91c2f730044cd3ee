var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../../common/dto/page.dto.js';
import { FLAG_KEYS, FlagKey } from '../flag-key.js';
export class UpsertFlagDto {
}
__decorate([
    ApiProperty({ description: 'Default for orgs without an override and outside the rollout' }),
    IsBoolean(),
    __metadata("design:type", Boolean)
], UpsertFlagDto.prototype, "enabled", void 0);
__decorate([
    ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'Share of orgs (by stable hash) that get the flag on; omitted keeps the current value (0 for a new row)' }),
    IsOptional(),
    IsInt(),
    Min(0),
    Max(100),
    __metadata("design:type", Number)
], UpsertFlagDto.prototype, "rollout_percent", void 0);
__decorate([
    ApiPropertyOptional({ maxLength: 500 }),
    IsOptional(),
    IsString(),
    MaxLength(500),
    __metadata("design:type", String)
], UpsertFlagDto.prototype, "description", void 0);
export class SetOverrideDto {
}
__decorate([
    ApiProperty(),
    IsBoolean(),
    __metadata("design:type", Boolean)
], SetOverrideDto.prototype, "enabled", void 0);
export class FlagOverrideDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], FlagOverrideDto.prototype, "org_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], FlagOverrideDto.prototype, "flag_key", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Boolean)
], FlagOverrideDto.prototype, "enabled", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], FlagOverrideDto.prototype, "updated_at", void 0);
export class AdminFlagDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], AdminFlagDto.prototype, "key", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], AdminFlagDto.prototype, "description", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Boolean)
], AdminFlagDto.prototype, "default_enabled", void 0);
__decorate([
    ApiProperty({ minimum: 0, maximum: 100 }),
    __metadata("design:type", Number)
], AdminFlagDto.prototype, "rollout_percent", void 0);
__decorate([
    ApiProperty({ description: 'false while the flag runs on its built-in default (no row yet)' }),
    __metadata("design:type", Boolean)
], AdminFlagDto.prototype, "configured", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], AdminFlagDto.prototype, "created_at", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], AdminFlagDto.prototype, "updated_at", void 0);
__decorate([
    ApiProperty({ type: [FlagOverrideDto] }),
    __metadata("design:type", Array)
], AdminFlagDto.prototype, "overrides", void 0);
export class AuditQueryDto extends PageQueryDto {
}
__decorate([
    ApiPropertyOptional({ enum: FlagKey }),
    IsOptional(),
    IsIn(FLAG_KEYS),
    __metadata("design:type", String)
], AuditQueryDto.prototype, "flag_key", void 0);
export class FlagAuditDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], FlagAuditDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], FlagAuditDto.prototype, "at", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String, description: 'null only for changes made by the database owner (e.g. an org deletion)' }),
    __metadata("design:type", Object)
], FlagAuditDto.prototype, "actor_user_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], FlagAuditDto.prototype, "flag_key", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], FlagAuditDto.prototype, "target_org_id", void 0);
__decorate([
    ApiProperty({ enum: ['insert', 'update', 'delete'] }),
    __metadata("design:type", String)
], FlagAuditDto.prototype, "action", void 0);
__decorate([
    ApiProperty({ nullable: true, type: Object }),
    __metadata("design:type", Object)
], FlagAuditDto.prototype, "before", void 0);
__decorate([
    ApiProperty({ nullable: true, type: Object }),
    __metadata("design:type", Object)
], FlagAuditDto.prototype, "after", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], FlagAuditDto.prototype, "request_id", void 0);
//# sourceMappingURL=flags.dto.js.map