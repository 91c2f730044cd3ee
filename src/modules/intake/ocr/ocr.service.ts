import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IntakeConfig } from '../../../config/slices.js';
import type { TenantContext } from '../../../tenancy/tenant-context.js';
import { normaliseFileName } from '../content/file-name.js';
import { checkImageSize } from '../content/image-probe.js';
import { readSingleFile } from '../content/multipart.js';
import { sniffUpload, UploadKind } from '../content/sniff.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { fairKey, WorkClass } from '../../../common/fair/fair-scheduler.js';
import { intakeRefusals } from '../../../common/metrics/metrics.js';
import { orgLabel } from '../../../common/metrics/org-label.js';
import { UploadService } from '../upload.service.js';
import type { OcrAcceptedDto, OcrResultDto } from '../dto/intake.dto.js';
import { OcrEngine } from './ocr.engine.js';

@Injectable()
export class OcrService {
  constructor(
    @Inject(IntakeConfig) private readonly intakeConfig: IntakeConfig,
    private readonly engine: OcrEngine,
    private readonly uploads: UploadService,
  ) {}

  async recognizeUpload(req: FastifyRequest, tenant: TenantContext): Promise<OcrResultDto | OcrAcceptedDto> {
    try {
      return await this.recognize(req, tenant);
    } catch (e) {
      if (e instanceof ProblemException) intakeRefusals.inc({ path: 'ocr', reason: e.slug ?? String(e.getStatus()), org: orgLabel(tenant.orgId) });
      throw e;
    }
  }

  private async recognize(req: FastifyRequest, tenant: TenantContext): Promise<OcrResultDto | OcrAcceptedDto> {
    const file = await readSingleFile(req, this.intakeConfig.uploadMaxBytes);
    const fileName = normaliseFileName(file.fileName);
    const sniffed = await sniffUpload(file.data, fileName, file.clientType);
    if (sniffed.kind !== UploadKind.Png && sniffed.kind !== UploadKind.Jpeg) {
      throw new ProblemException(415, 'unsupported-media-type', 'OCR takes PNG or JPEG images');
    }
    const size = checkImageSize(file.data, sniffed.mime as 'image/png' | 'image/jpeg', this.intakeConfig.ocrMaxPixels);
    if (this.uploads.isSmall(size)) return { text: await this.engine.recognize(file.data, { key: fairKey(tenant), cls: WorkClass.Request }), ...size };
    const title = (file.fields.title ?? '').trim().slice(0, 300) || fileName;
    const { item, jobId } = await this.uploads.storeForOcrJob(
      tenant,
      { title, sourceKind: 'upload', mimeType: sniffed.mime, fileName, byteSize: file.data.length },
      file.data,
    );
    return { job_id: jobId!, knowledge_item_id: item.id };
  }
}
