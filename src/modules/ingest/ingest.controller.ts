import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { replyWithCharge } from '../limits/charges.service.js';
import { Roles } from '../../common/decorators/auth.decorators.js';
import type { Page } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { IngestJobDto, IngestJobPageDto, ListJobsQueryDto } from './dto/ingest-job.dto.js';
import { IngestService } from './ingest.service.js';

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest/jobs')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Get()
  @ApiOkResponse({ type: IngestJobPageDto })
  list(@Query() q: ListJobsQueryDto): Promise<Page<IngestJobDto>> {
    return this.ingest.list(q.limit, q.cursor, { status: q.status, kind: q.kind });
  }

  @Get(':id')
  @ApiOkResponse({ type: IngestJobDto })
  @ApiNotFoundResponse({ description: 'absent or another org’s' })
  get(@Param('id', UuidPipe) id: string): Promise<IngestJobDto> {
    return this.ingest.get(id);
  }

  @Post(':id/retry')
  @Roles('member')
  @HttpCode(200)
  @ApiOkResponse({ type: IngestJobDto, description: 'failed or cancelled → queued (a new generation: a copy of the job still in the queue is skipped)' })
  @ApiConflictResponse({ description: 'the job is neither failed nor cancelled' })
  @ApiTooManyRequestsResponse({
    description:
      'rate-limited or quota-exceeded: a retry is charged again (a crawl job one `crawl` page, an ocr job one `ocr` image), and joins the org\'s queued jobs (caps.queued_jobs)',
  })
  async retry(@Param('id', UuidPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<IngestJobDto> {
    const { job, charged } = await this.ingest.retry(id);
    replyWithCharge(reply, charged);
    return job;
  }

  @Post(':id/cancel')
  @Roles('member')
  @HttpCode(200)
  @ApiOkResponse({ type: IngestJobDto, description: 'queued → cancelled' })
  @ApiConflictResponse({ description: 'the job is not queued' })
  cancel(@Param('id', UuidPipe) id: string): Promise<IngestJobDto> {
    return this.ingest.cancel(id);
  }
}
