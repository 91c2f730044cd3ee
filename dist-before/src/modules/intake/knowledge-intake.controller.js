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
import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, } from '@nestjs/swagger';
import { mergeChargeHeaders } from '../limits/charges.service.js';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import { IntakeConfig } from '../../config/slices.js';
import { KnowledgeItemDto } from '../knowledge/dto/knowledge.dto.js';
import { readSingleFile } from './content/multipart.js';
import { CreateKnowledgeDto } from './dto/intake.dto.js';
import { IntakeService } from './intake.service.js';
import { UploadService } from './upload.service.js';
/** The RateLimit headers of a cost charged by the service, beside the route's own. */
const withCharge = (reply, charged = {}) => reply.headers(mergeChargeHeaders((name) => reply.getHeader(name), charged));
/** The operation id the route had in the knowledge module, and no summary (ApiOperation's default is ''). */
const operationId = (id) => ApiOperation({ operationId: id, summary: undefined });
/**
 * The routes that create knowledge items (the knowledge module serves GET and DELETE on the same
 * path). Registered before it, so the static `upload` path comes before the `:id` routes. The
 * operation ids are those the routes had in the knowledge module, so generated clients keep them.
 */
let KnowledgeIntakeController = class KnowledgeIntakeController {
    constructor(uploads, intake, intakeConfig) {
        this.uploads = uploads;
        this.intake = intake;
        this.intakeConfig = intakeConfig;
    }
    /**
     * One file (txt, md, html, pdf, png, jpeg), typed by its bytes. 413 over UPLOAD_MAX_BYTES, 415 for
     * other or mismatching types, 422 for malformed files. Images are OCR'd (large ones by an ocr
     * job: `job_id` is then set and the item's text arrives later).
     * No transaction is held while the client sends the file: the handler opens its own at the end.
     */
    async upload(req, reply, tenant) {
        const file = await readSingleFile(req, this.intakeConfig.uploadMaxBytes);
        const { item, jobId, charged } = await this.uploads.upload(tenant, file);
        withCharge(reply, charged);
        return jobId ? { ...item, job_id: jobId } : item;
    }
    /**
     * Text, HTML (sanitised) or a URL (422 `ssrf-blocked` at once, else crawled by a job).
     * No request transaction: HTML is sanitised on the html pool first, then the service writes.
     */
    async create(body, reply) {
        const { item, charged } = await this.intake.create(body);
        withCharge(reply, charged);
        return item;
    }
};
__decorate([
    Post('upload'),
    Roles('member'),
    NoTransaction(),
    HttpCode(201),
    operationId('KnowledgeUploadController_upload'),
    ApiConsumes('multipart/form-data'),
    ApiBody({
        schema: {
            type: 'object',
            required: ['file'],
            properties: { file: { type: 'string', format: 'binary' }, title: { type: 'string', maxLength: 300 } },
        },
    }),
    ApiCreatedResponse({ type: KnowledgeItemDto }),
    ApiTooManyRequestsResponse({
        description: 'rate-limited or quota-exceeded: an image costs one `ocr` unit (ocr_pages), a PDF one per page; quota-exceeded also when the org has caps.queued_jobs jobs waiting',
    }),
    __param(0, Req()),
    __param(1, Res({ passthrough: true })),
    __param(2, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, Object, Object]),
    __metadata("design:returntype", Promise)
], KnowledgeIntakeController.prototype, "upload", null);
__decorate([
    Post(),
    Roles('member'),
    NoTransaction(),
    operationId('KnowledgeController_create'),
    ApiCreatedResponse({ type: KnowledgeItemDto }),
    ApiTooManyRequestsResponse({
        description: 'rate-limited or quota-exceeded: a `url` costs one `crawl` page (crawled_pages); quota-exceeded also when the org has caps.queued_jobs jobs waiting',
    }),
    __param(0, Body()),
    __param(1, Res({ passthrough: true })),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [CreateKnowledgeDto, Object]),
    __metadata("design:returntype", Promise)
], KnowledgeIntakeController.prototype, "create", null);
KnowledgeIntakeController = __decorate([
    ApiTags('knowledge'),
    ApiBearerAuth(),
    Controller('v1/knowledge'),
    __param(2, Inject(IntakeConfig)),
    __metadata("design:paramtypes", [UploadService,
        IntakeService,
        IntakeConfig])
], KnowledgeIntakeController);
export { KnowledgeIntakeController };
//# sourceMappingURL=knowledge-intake.controller.js.map