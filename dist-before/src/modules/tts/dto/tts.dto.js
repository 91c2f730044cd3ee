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
export class SpeechDto {
}
__decorate([
    ApiProperty({ description: 'text to speak; at most TTS_MAX_CHARS characters (413 beyond)' }),
    IsString(),
    MinLength(1),
    __metadata("design:type", String)
], SpeechDto.prototype, "text", void 0);
__decorate([
    ApiPropertyOptional({
        description: 'a voice of the configured engine (espeak: en, en-us, en-gb, de, fr, …)',
    }),
    IsOptional(),
    IsString(),
    MaxLength(64),
    __metadata("design:type", String)
], SpeechDto.prototype, "voice", void 0);
__decorate([
    ApiPropertyOptional({ enum: ['wav'], default: 'wav' }),
    IsOptional(),
    IsIn(['wav']),
    __metadata("design:type", String)
], SpeechDto.prototype, "format", void 0);
//# sourceMappingURL=tts.dto.js.map