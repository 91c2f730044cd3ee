import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import { readSingleFile } from '../../common/content/multipart.js';
import { ENV, type Env } from '../../config/env.js';
import type { TenantContext } from '../../database/tenant-context.js';
import { KnowledgeItemDto } from './dto/knowledge.dto.js';
import { UploadService } from './upload.service.js';

@ApiTags('knowledge')
@ApiBearerAuth()
@Controller('v1/knowledge')
export class KnowledgeUploadController {
  constructor(
    private readonly uploads: UploadService,
    @Inject(ENV) private readonly env: Env,
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
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' }, title: { type: 'string', maxLength: 300 } },
    },
  })
  @ApiCreatedResponse({ type: KnowledgeItemDto })
  async upload(@Req() req: FastifyRequest, @CurrentTenant() tenant: TenantContext): Promise<KnowledgeItemDto & { job_id?: string }> {
    const file = await readSingleFile(req, this.env.UPLOAD_MAX_BYTES);
    const { item, jobId } = await this.uploads.upload(tenant, file);
    return jobId ? { ...item, job_id: jobId } : item;
  }
}
