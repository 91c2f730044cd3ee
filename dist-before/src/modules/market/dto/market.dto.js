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
export class ListingDto {
}
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ListingDto.prototype, "id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ListingDto.prototype, "publisher_org_id", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ListingDto.prototype, "title", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", Number)
], ListingDto.prototype, "chunk_count", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ListingDto.prototype, "created_at", void 0);
__decorate([
    ApiProperty(),
    __metadata("design:type", String)
], ListingDto.prototype, "updated_at", void 0);
export class ListingPageDto {
}
__decorate([
    ApiProperty({ type: [ListingDto] }),
    __metadata("design:type", Array)
], ListingPageDto.prototype, "data", void 0);
__decorate([
    ApiProperty({ nullable: true, type: String }),
    __metadata("design:type", Object)
], ListingPageDto.prototype, "next_cursor", void 0);
//# sourceMappingURL=market.dto.js.map