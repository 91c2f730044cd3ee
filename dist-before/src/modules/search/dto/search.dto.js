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
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
export const MAX_QUERY_CHARS = 2000;
export const MAX_K = 50;
export var SearchMode;
(function (SearchMode) {
    SearchMode["Vector"] = "vector";
    SearchMode["Hybrid"] = "hybrid";
})(SearchMode || (SearchMode = {}));
export class SearchDto {
}
__decorate([
    ApiProperty({ minLength: 1, maxLength: MAX_QUERY_CHARS }),
    IsString(),
    Matches(/\S/, { message: 'query must not be empty' }),
    MaxLength(MAX_QUERY_CHARS),
    __metadata("design:type", String)
], SearchDto.prototype, "query", void 0);
__decorate([
    ApiPropertyOptional({ minimum: 1, maximum: MAX_K, default: 10 }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(MAX_K),
    __metadata("design:type", Number)
], SearchDto.prototype, "k", void 0);
__decorate([
    ApiPropertyOptional({
        enum: SearchMode,
        default: SearchMode.Vector,
        description: 'hybrid: reciprocal rank fusion of full-text and vector ranks, honoured only when the `hybrid_search` flag is on ' +
            'for the caller’s org (default off); otherwise the search runs in vector mode and the answer’s `mode` says `vector`',
    }),
    IsOptional(),
    IsIn(Object.values(SearchMode)),
    __metadata("design:type", String)
], SearchDto.prototype, "mode", void 0);
export class PrivateHitDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], PrivateHitDto.prototype, "chunk_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], PrivateHitDto.prototype, "knowledge_item_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], PrivateHitDto.prototype, "chunk_index", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], PrivateHitDto.prototype, "content", void 0);
__decorate([
    ApiProperty({ description: 'cosine similarity (vector) or RRF score (hybrid); higher is better' }),
    __metadata("design:type", Number)
], PrivateHitDto.prototype, "score", void 0);
export class MarketHitDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MarketHitDto.prototype, "chunk_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MarketHitDto.prototype, "listing_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], MarketHitDto.prototype, "chunk_index", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], MarketHitDto.prototype, "content", void 0);
__decorate([
    ApiProperty({ description: 'cosine similarity (vector) or RRF score (hybrid); higher is better' }),
    __metadata("design:type", Number)
], MarketHitDto.prototype, "score", void 0);
const MODE_RAN = 'the mode the search ran in: `hybrid` only when asked for and `hybrid_search` is on for the org';
export class PrivateSearchAnswerDto {
}
__decorate([
    ApiProperty({ type: [PrivateHitDto] }),
    __metadata("design:type", Array)
], PrivateSearchAnswerDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ enum: SearchMode, description: MODE_RAN }),
    __metadata("design:type", String)
], PrivateSearchAnswerDto.prototype, "mode", void 0);
export class MarketSearchAnswerDto {
}
__decorate([
    ApiProperty({ type: [MarketHitDto] }),
    __metadata("design:type", Array)
], MarketSearchAnswerDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ enum: SearchMode, description: MODE_RAN }),
    __metadata("design:type", String)
], MarketSearchAnswerDto.prototype, "mode", void 0);
//# sourceMappingURL=search.dto.js.map