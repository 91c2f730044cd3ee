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
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../../common/decorators/rate-limit.decorator.js';
import { CrawlAcceptedDto, CrawlRequestDto } from '../dto/intake.dto.js';
import { IntakeService } from '../intake.service.js';
let CrawlController = class CrawlController {
    constructor(intake) {
        this.intake = intake;
    }
    /** 202 with the crawl job; 422 `ssrf-blocked` when the URL can be refused at once. */
    async submit(body) {
        const { item, job } = await this.intake.submitUrl(body.url, body.title);
        return { job_id: job.id, knowledge_item_id: item.id };
    }
};
__decorate([
    Post(),
    Roles('member'),
    HttpCode(202),
    RateLimit(RatePolicy.Crawl, 1),
    ApiAcceptedResponse({ type: CrawlAcceptedDto }),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [CrawlRequestDto]),
    __metadata("design:returntype", Promise)
], CrawlController.prototype, "submit", null);
CrawlController = __decorate([
    ApiTags('crawl'),
    ApiBearerAuth(),
    Controller('v1/crawl'),
    __metadata("design:paramtypes", [IntakeService])
], CrawlController);
export { CrawlController };
//# sourceMappingURL=crawl.controller.js.map