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
import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, } from '@nestjs/swagger';
import { mergeChargeHeaders } from '../limits/charges.service.js';
import { Roles } from '../../common/decorators/auth.decorators.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { IngestJobDto, IngestJobPageDto, ListJobsQueryDto } from './dto/ingest-job.dto.js';
import { IngestService } from './ingest.service.js';
let IngestController = class IngestController {
    constructor(ingest) {
        this.ingest = ingest;
    }
    list(q) {
        return this.ingest.list(q.limit, q.cursor, { status: q.status, kind: q.kind });
    }
    get(id) {
        return this.ingest.get(id);
    }
    async retry(id, reply) {
        const { job, charged } = await this.ingest.retry(id);
        reply.headers(mergeChargeHeaders((name) => reply.getHeader(name), charged));
        return job;
    }
    cancel(id) {
        return this.ingest.cancel(id);
    }
};
__decorate([
    Get(),
    ApiOkResponse({ type: IngestJobPageDto }),
    __param(0, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [ListJobsQueryDto]),
    __metadata("design:returntype", Promise)
], IngestController.prototype, "list", null);
__decorate([
    Get(':id'),
    ApiOkResponse({ type: IngestJobDto }),
    ApiNotFoundResponse({ description: 'absent or another org’s' }),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], IngestController.prototype, "get", null);
__decorate([
    Post(':id/retry'),
    Roles('member'),
    HttpCode(200),
    ApiOkResponse({ type: IngestJobDto, description: 'failed → queued' }),
    ApiConflictResponse({ description: 'the job is not failed' }),
    ApiTooManyRequestsResponse({
        description: 'rate-limited or quota-exceeded: a retry is charged again (a crawl job one `crawl` page, an ocr job one `ocr` image), and joins the org\'s queued jobs (caps.queued_jobs)',
    }),
    __param(0, Param('id', UuidPipe)),
    __param(1, Res({ passthrough: true })),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String, Object]),
    __metadata("design:returntype", Promise)
], IngestController.prototype, "retry", null);
__decorate([
    Post(':id/cancel'),
    Roles('member'),
    HttpCode(200),
    ApiOkResponse({ type: IngestJobDto, description: 'queued → cancelled' }),
    ApiConflictResponse({ description: 'the job is not queued' }),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], IngestController.prototype, "cancel", null);
IngestController = __decorate([
    ApiTags('ingest'),
    ApiBearerAuth(),
    Controller('v1/ingest/jobs'),
    __metadata("design:paramtypes", [IngestService])
], IngestController);
export { IngestController };
//# sourceMappingURL=ingest.controller.js.map