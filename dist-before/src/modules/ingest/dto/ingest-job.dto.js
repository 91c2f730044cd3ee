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
import { IsEnum, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../../common/dto/page.dto.js';
import { JobKind, JobPriorityClass, JobStatus } from '../ingest.types.js';
export class ListJobsQueryDto extends PageQueryDto {
}
__decorate([
    ApiPropertyOptional({ enum: JobStatus }),
    IsOptional(),
    IsEnum(JobStatus),
    __metadata("design:type", String)
], ListJobsQueryDto.prototype, "status", void 0);
__decorate([
    ApiPropertyOptional({ enum: JobKind }),
    IsOptional(),
    IsEnum(JobKind),
    __metadata("design:type", String)
], ListJobsQueryDto.prototype, "kind", void 0);
export class IngestJobDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], IngestJobDto.prototype, "id", void 0);
__decorate([
    ApiProperty({ enum: JobKind }),
    __metadata("design:type", String)
], IngestJobDto.prototype, "kind", void 0);
__decorate([
    ApiProperty({ enum: JobStatus }),
    __metadata("design:type", String)
], IngestJobDto.prototype, "status", void 0);
__decorate([
    ApiProperty({ enum: JobPriorityClass }),
    __metadata("design:type", String)
], IngestJobDto.prototype, "priority_class", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], IngestJobDto.prototype, "knowledge_item_id", void 0);
__decorate([
    ApiProperty({ type: 'object', additionalProperties: true }),
    __metadata("design:type", Object)
], IngestJobDto.prototype, "payload", void 0);
__decorate([
    ApiProperty({ description: 'attempts started so far (a re-run after a worker crash counts)' }),
    __metadata("design:type", Number)
], IngestJobDto.prototype, "attempts", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], IngestJobDto.prototype, "max_attempts", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], IngestJobDto.prototype, "last_error", void 0);
__decorate([
    ApiProperty({ nullable: true, description: 'X-Request-Id of the request that enqueued it' }),
    __metadata("design:type", Object)
], IngestJobDto.prototype, "request_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], IngestJobDto.prototype, "created_at", void 0);
__decorate([
    ApiProperty({ description: 'when it last became queued (creation or retry)' }),
    __metadata("design:type", String)
], IngestJobDto.prototype, "queued_at", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], IngestJobDto.prototype, "started_at", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], IngestJobDto.prototype, "finished_at", void 0);
export class IngestJobPageDto {
}
__decorate([
    ApiProperty({ type: [IngestJobDto] }),
    __metadata("design:type", Array)
], IngestJobPageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], IngestJobPageDto.prototype, "next_cursor", void 0);
//# sourceMappingURL=ingest-job.dto.js.map