import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { replyWithCharge } from '../limits/charges.service.js';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import { IntakeConfig } from '../../config/slices.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { KnowledgeItemDto } from '../knowledge/dto/knowledge.dto.js';
import { readSingleFile } from './content/multipart.js';
import { CreateKnowledgeDto } from './dto/intake.dto.js';
import { IntakeService } from './intake.service.js';
import { UploadService } from './upload.service.js';


/** The operation id the route had in the knowledge module, and no summary (ApiOperation's default is ''). */
const operationId = (id: string) => ApiOperation({ operationId: id, summary: undefined });

/**
 * The routes that create knowledge items (the knowledge module serves GET and DELETE on the same
 * path). Registered before it, so the static `upload` path comes before the `:id` routes. The
 * operation ids are those the routes had in the knowledge module, so generated clients keep them.
 */
@ApiTags('knowledge')
@ApiBearerAuth()
@Controller('v1/knowledge')
export class KnowledgeIntakeController {
  constructor(
    private readonly uploads: UploadService,
    private readonly intake: IntakeService,
    @Inject(IntakeConfig) private readonly intakeConfig: IntakeConfig,
  ) {}

  /**
   * One file (txt, md, html, pdf, png, jpeg), typed by its bytes. 413 over UPLOAD_MAX_BYTES, 415 for
   * other or mismatching types, 422 for malformed files. Images are OCR'd (large ones by an ocr
   * job: `job_id` is then set and the item's text arrives later).
   * No transaction is held while the client sends the file: the handler opens its own at the end.
   */
  @Post('upload')
  @Roles('member')
  @NoTransaction()
  @HttpCode(201)
  @operationId('KnowledgeUploadController_upload')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' }, title: { type: 'string', maxLength: 300 } },
    },
  })
  @ApiCreatedResponse({ type: KnowledgeItemDto })
  @ApiTooManyRequestsResponse({
    description:
      'rate-limited or quota-exceeded: an image costs one `ocr` unit (ocr_pages), a PDF one per page; quota-exceeded also when the org has caps.queued_jobs jobs waiting',
  })
  async upload(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentTenant() tenant: TenantContext,
  ): Promise<KnowledgeItemDto & { job_id?: string }> {
    const file = await readSingleFile(req, this.intakeConfig.uploadMaxBytes);
    const { item, jobId, charged } = await this.uploads.upload(tenant, file);
    replyWithCharge(reply, charged);
    return jobId ? { ...item, job_id: jobId } : item;
  }

  /**
   * Text, HTML (sanitised) or a URL (422 `ssrf-blocked` at once, else crawled by a job).
   * No request transaction: HTML is sanitised on the html pool first, then the service writes.
   */
  @Post()
  @Roles('member')
  @NoTransaction()
  @operationId('KnowledgeController_create')
  @ApiCreatedResponse({ type: KnowledgeItemDto })
  @ApiTooManyRequestsResponse({
    description:
      'rate-limited or quota-exceeded: a `url` costs one `crawl` page (crawled_pages); quota-exceeded also when the org has caps.queued_jobs jobs waiting',
  })
  async create(
    @Body() body: CreateKnowledgeDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<KnowledgeItemDto> {
    const { item, charged } = await this.intake.create(body);
    replyWithCharge(reply, charged);
    return item;
  }
}
