var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { CreateEmbeddingsDto, EmbeddingsAnswerDto } from './dto/embeddings.dto.js';
import { EmbeddingsService } from './embeddings.service.js';
/** Cost of a request under the embeddings policy: the number of inputs. */
export const embeddingInputs = (req) => {
    const input = req.body?.input;
    return Array.isArray(input) ? Math.max(1, input.length) : 1;
};
let EmbeddingsController = class EmbeddingsController {
    constructor(embeddings) {
        this.embeddings = embeddings;
    }
    create(body) {
        return this.embeddings.create(body);
    }
};
__decorate([
    Post(),
    HttpCode(200),
    RateLimit(RatePolicy.Embeddings, embeddingInputs),
    ApiOkResponse({ type: EmbeddingsAnswerDto }),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [CreateEmbeddingsDto]),
    __metadata("design:returntype", Promise)
], EmbeddingsController.prototype, "create", null);
EmbeddingsController = __decorate([
    ApiTags('embeddings'),
    ApiBearerAuth(),
    Controller('v1/embeddings'),
    __metadata("design:paramtypes", [EmbeddingsService])
], EmbeddingsController);
export { EmbeddingsController };
//# sourceMappingURL=embeddings.controller.js.map