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
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
export const MAX_EMBEDDING_INPUTS = 256;
export const MAX_EMBEDDING_INPUT_CHARS = 20_000;
const isInput = (v) => {
    const ok = (s) => typeof s === 'string' && s.trim().length > 0 && s.length <= MAX_EMBEDDING_INPUT_CHARS;
    return ok(v) || (Array.isArray(v) && v.length >= 1 && v.length <= MAX_EMBEDDING_INPUTS && v.every(ok));
};
function IsEmbeddingInput(opts) {
    return ValidateBy({
        name: 'isEmbeddingInput',
        validator: {
            validate: isInput,
            defaultMessage: () => `input must be a non-empty string or an array of 1 to ${MAX_EMBEDDING_INPUTS} non-empty strings, each at most ${MAX_EMBEDDING_INPUT_CHARS} characters`,
        },
    }, opts);
}
/** OpenAI-compatible request (token-array inputs are not supported). */
export class CreateEmbeddingsDto {
}
__decorate([
    ApiProperty({
        oneOf: [{ type: 'string', maxLength: MAX_EMBEDDING_INPUT_CHARS }, { type: 'array', items: { type: 'string' }, maxItems: MAX_EMBEDDING_INPUTS }],
    }),
    IsEmbeddingInput(),
    __metadata("design:type", Object)
], CreateEmbeddingsDto.prototype, "input", void 0);
__decorate([
    ApiPropertyOptional({ description: 'accepted for compatibility; the configured model answers' }),
    IsOptional(),
    IsString(),
    MaxLength(200),
    __metadata("design:type", String)
], CreateEmbeddingsDto.prototype, "model", void 0);
__decorate([
    ApiPropertyOptional({ enum: ['float', 'base64'], default: 'float' }),
    IsOptional(),
    IsIn(['float', 'base64']),
    __metadata("design:type", String)
], CreateEmbeddingsDto.prototype, "encoding_format", void 0);
__decorate([
    ApiPropertyOptional({ description: "must equal the model's dimension if given" }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(16000),
    __metadata("design:type", Number)
], CreateEmbeddingsDto.prototype, "dimensions", void 0);
__decorate([
    ApiPropertyOptional(),
    IsOptional(),
    IsString(),
    MaxLength(256),
    __metadata("design:type", String)
], CreateEmbeddingsDto.prototype, "user", void 0);
export class EmbeddingDataDto {
}
__decorate([
    ApiProperty({ enum: ['embedding'] }),
    __metadata("design:type", String)
], EmbeddingDataDto.prototype, "object", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], EmbeddingDataDto.prototype, "index", void 0);
__decorate([
    ApiProperty({ oneOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string', description: 'base64 float32 LE' }] }),
    __metadata("design:type", Object)
], EmbeddingDataDto.prototype, "embedding", void 0);
export class EmbeddingsUsageDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], EmbeddingsUsageDto.prototype, "prompt_tokens", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], EmbeddingsUsageDto.prototype, "total_tokens", void 0);
export class EmbeddingsAnswerDto {
}
__decorate([
    ApiProperty({ enum: ['list'] }),
    __metadata("design:type", String)
], EmbeddingsAnswerDto.prototype, "object", void 0);
__decorate([
    ApiProperty({ type: [EmbeddingDataDto] }),
    __metadata("design:type", Array)
], EmbeddingsAnswerDto.prototype, "data", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], EmbeddingsAnswerDto.prototype, "model", void 0);
__decorate([
    ApiProperty({ type: EmbeddingsUsageDto }),
    __metadata("design:type", EmbeddingsUsageDto)
], EmbeddingsAnswerDto.prototype, "usage", void 0);
//# sourceMappingURL=embeddings.dto.js.map