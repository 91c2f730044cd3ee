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
import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, NoTransaction, Roles } from '../../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../../common/decorators/rate-limit.decorator.js';
import { OcrAcceptedDto, OcrResultDto } from '../dto/intake.dto.js';
import { OcrService } from './ocr.service.js';
let OcrController = class OcrController {
    constructor(ocr) {
        this.ocr = ocr;
    }
    /**
     * A PNG or JPEG image → its text. Images up to OCR_SYNC_MAX_PIXELS are recognised now (200);
     * larger ones (up to OCR_MAX_PIXELS) become a knowledge item recognised by an ocr job (202).
     */
    async recognize(req, reply, tenant) {
        const out = await this.ocr.recognizeUpload(req, tenant);
        reply.status('job_id' in out ? 202 : 200);
        return out;
    }
};
__decorate([
    Post(),
    Roles('member'),
    NoTransaction(),
    RateLimit(RatePolicy.Ocr, 1),
    ApiConsumes('multipart/form-data'),
    ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } }),
    ApiOkResponse({ type: OcrResultDto }),
    ApiAcceptedResponse({ type: OcrAcceptedDto }),
    __param(0, Req()),
    __param(1, Res({ passthrough: true })),
    __param(2, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, Object, Object]),
    __metadata("design:returntype", Promise)
], OcrController.prototype, "recognize", null);
OcrController = __decorate([
    ApiTags('ocr'),
    ApiBearerAuth(),
    Controller('v1/ocr'),
    __metadata("design:paramtypes", [OcrService])
], OcrController);
export { OcrController };
//# sourceMappingURL=ocr.controller.js.map