import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/decorators/auth.decorators.js';
import { unauthorized } from '../../common/filters/problem.js';
import { MetricsConfig } from '../../config/slices.js';
import { metricsTokenMatches } from './metrics-token.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics-render.js';

/** Prometheus scrape endpoint. Public to the tenant guard: it has its own bearer token (METRICS_TOKEN). */
@ApiTags('metrics')
@ApiBearerAuth()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(MetricsConfig) private readonly metricsConfig: MetricsConfig) {}

  @Get()
  @Public()
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition (default registry)' })
  @ApiUnauthorizedResponse({ description: 'missing or wrong METRICS_TOKEN' })
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (!metricsTokenMatches(authorization, this.metricsConfig.token)) throw unauthorized('the metrics token is missing or wrong');
    reply.header('content-type', METRICS_CONTENT_TYPE);
    reply.header('cache-control', 'no-store');
    return renderMetrics();
  }
}
