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
export class KnowledgeItemDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], KnowledgeItemDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], KnowledgeItemDto.prototype, "title", void 0);
__decorate([
    ApiProperty({ enum: ['text', 'html', 'url', 'upload'] }),
    __metadata("design:type", String)
], KnowledgeItemDto.prototype, "source_kind", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemDto.prototype, "source_url", void 0);
__decorate([
    ApiProperty({ enum: ['pending', 'processing', 'ready', 'failed'] }),
    __metadata("design:type", String)
], KnowledgeItemDto.prototype, "status", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemDto.prototype, "error", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemDto.prototype, "mime_type", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemDto.prototype, "file_name", void 0);
__decorate([
    ApiProperty({ nullable: true, type: Number }),
    __metadata("design:type", Object)
], KnowledgeItemDto.prototype, "byte_size", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemDto.prototype, "created_by", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], KnowledgeItemDto.prototype, "created_at", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], KnowledgeItemDto.prototype, "updated_at", void 0);
export class KnowledgeItemDetailDto extends KnowledgeItemDto {
}
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemDetailDto.prototype, "content_text", void 0);
__decorate([
    ApiProperty({ nullable: true, description: 'sanitised HTML' }),
    __metadata("design:type", Object)
], KnowledgeItemDetailDto.prototype, "content_html", void 0);
export class KnowledgeItemPageDto {
}
__decorate([
    ApiProperty({ type: [KnowledgeItemDto] }),
    __metadata("design:type", Array)
], KnowledgeItemPageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], KnowledgeItemPageDto.prototype, "next_cursor", void 0);
//# sourceMappingURL=knowledge.dto.js.map