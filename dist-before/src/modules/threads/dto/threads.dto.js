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
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
export class CreateThreadDto {
}
__decorate([
    ApiProperty({ maxLength: 200 }),
    IsString(),
    MinLength(1),
    MaxLength(200),
    __metadata("design:type", String)
], CreateThreadDto.prototype, "title", void 0);
export class UpdateThreadDto {
}
__decorate([
    ApiPropertyOptional({ maxLength: 200 }),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(200),
    __metadata("design:type", String)
], UpdateThreadDto.prototype, "title", void 0);
export class CreateMessageDto {
}
__decorate([
    ApiProperty({ enum: ['user', 'assistant', 'system'] }),
    IsIn(['user', 'assistant', 'system']),
    __metadata("design:type", String)
], CreateMessageDto.prototype, "role", void 0);
__decorate([
    ApiProperty({ maxLength: 100_000 }),
    IsString(),
    MinLength(1),
    MaxLength(100_000),
    __metadata("design:type", String)
], CreateMessageDto.prototype, "content", void 0);
export class ThreadDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ThreadDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ThreadDto.prototype, "title", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], ThreadDto.prototype, "created_by", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ThreadDto.prototype, "created_at", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ThreadDto.prototype, "updated_at", void 0);
export class MessageDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MessageDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MessageDto.prototype, "thread_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MessageDto.prototype, "role", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MessageDto.prototype, "content", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], MessageDto.prototype, "created_by", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MessageDto.prototype, "created_at", void 0);
export class ThreadPageDto {
}
__decorate([
    ApiProperty({ type: [ThreadDto] }),
    __metadata("design:type", Array)
], ThreadPageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], ThreadPageDto.prototype, "next_cursor", void 0);
export class MessagePageDto {
}
__decorate([
    ApiProperty({ type: [MessageDto] }),
    __metadata("design:type", Array)
], MessagePageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], MessagePageDto.prototype, "next_cursor", void 0);
//# sourceMappingURL=threads.dto.js.map