import { Controller, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentTenant, NoTransaction, Roles } from '../../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../../common/decorators/rate-limit.decorator.js';
import type { TenantContext } from '../../../tenancy/tenant-context.js';
import { OcrAcceptedDto, OcrResultDto } from '../dto/intake.dto.js';
import { OcrService } from './ocr.service.js';

@ApiTags('ocr')
@ApiBearerAuth()
@Controller('v1/ocr')
export class OcrController {
  constructor(private readonly ocr: OcrService) {}

  /**
   * A PNG or JPEG image → its text. Images up to OCR_SYNC_MAX_PIXELS are recognised now (200);
   * larger ones (up to OCR_MAX_PIXELS) become a knowledge item recognised by an ocr job (202).
   */
  @Post()
  @Roles('member')
  @NoTransaction()
  @RateLimit(RatePolicy.Ocr, 1)
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOkResponse({ type: OcrResultDto })
  @ApiAcceptedResponse({ type: OcrAcceptedDto })
  async recognize(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentTenant() tenant: TenantContext,
  ): Promise<OcrResultDto | OcrAcceptedDto> {
    const out = await this.ocr.recognizeUpload(req, tenant);
    reply.status('job_id' in out ? 202 : 200);
    return out;
  }
}
