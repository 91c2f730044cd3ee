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
import { IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
/** The body of POST /v1/knowledge: exactly one of text, html or url. */
export class CreateKnowledgeDto {
}
__decorate([
    ApiProperty({ maxLength: 300 }),
    IsString(),
    MinLength(1),
    MaxLength(300),
    __metadata("design:type", String)
], CreateKnowledgeDto.prototype, "title", void 0);
__decorate([
    ApiPropertyOptional({ maxLength: 500_000 }),
    ValidateIf((o) => o.text !== undefined || (o.html === undefined && o.url === undefined)),
    IsString(),
    MinLength(1),
    MaxLength(500_000),
    __metadata("design:type", String)
], CreateKnowledgeDto.prototype, "text", void 0);
__decorate([
    ApiPropertyOptional({ maxLength: 1_000_000 }),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(1_000_000),
    __metadata("design:type", String)
], CreateKnowledgeDto.prototype, "html", void 0);
__decorate([
    ApiPropertyOptional({ maxLength: 2048, description: 'http(s) URL to crawl (see README, Security)' }),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(2048),
    __metadata("design:type", String)
], CreateKnowledgeDto.prototype, "url", void 0);
export class CrawlRequestDto {
}
__decorate([
    ApiProperty({ maxLength: 2048, description: 'http(s) URL to crawl (see README, Security)' }),
    IsString(),
    MinLength(1),
    MaxLength(2048),
    __metadata("design:type", String)
], CrawlRequestDto.prototype, "url", void 0);
__decorate([
    ApiPropertyOptional({ maxLength: 300 }),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(300),
    __metadata("design:type", String)
], CrawlRequestDto.prototype, "title", void 0);
export class CrawlAcceptedDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], CrawlAcceptedDto.prototype, "job_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], CrawlAcceptedDto.prototype, "knowledge_item_id", void 0);
export class OcrResultDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], OcrResultDto.prototype, "text", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], OcrResultDto.prototype, "width", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], OcrResultDto.prototype, "height", void 0);
export class OcrAcceptedDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], OcrAcceptedDto.prototype, "job_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], OcrAcceptedDto.prototype, "knowledge_item_id", void 0);
//# sourceMappingURL=intake.dto.js.map