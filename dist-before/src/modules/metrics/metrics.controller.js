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
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '../../common/decorators/auth.decorators.js';
import { unauthorized } from '../../common/filters/problem.js';
import { MetricsConfig } from '../../config/slices.js';
import { metricsTokenMatches } from './metrics-token.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics-render.js';
/** Prometheus scrape endpoint. Public to the tenant guard: it has its own bearer token (METRICS_TOKEN). */
let MetricsController = class MetricsController {
    constructor(metricsConfig) {
        this.metricsConfig = metricsConfig;
    }
    async scrape(authorization, reply) {
        if (!metricsTokenMatches(authorization, this.metricsConfig.token))
            throw unauthorized('the metrics token is missing or wrong');
        reply.header('content-type', METRICS_CONTENT_TYPE);
        reply.header('cache-control', 'no-store');
        return renderMetrics();
    }
};
__decorate([
    Get(),
    Public(),
    ApiProduces('text/plain'),
    ApiOkResponse({ description: 'Prometheus text exposition (default registry)' }),
    ApiUnauthorizedResponse({ description: 'missing or wrong METRICS_TOKEN' }),
    __param(0, Headers('authorization')),
    __param(1, Res({ passthrough: true })),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [Object, Object]),
    __metadata("design:returntype", Promise)
], MetricsController.prototype, "scrape", null);
MetricsController = __decorate([
    ApiTags('metrics'),
    ApiBearerAuth(),
    Controller('metrics'),
    __param(0, Inject(MetricsConfig)),
    __metadata("design:paramtypes", [MetricsConfig])
], MetricsController);
export { MetricsController };
//# sourceMappingURL=metrics.controller.js.map