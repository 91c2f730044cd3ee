import { Inject, Injectable } from '@nestjs/common';
import { IntakeConfig } from '../../config/slices.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { ProblemException } from '../../common/filters/problem.js';
import { intakeRefusals } from '../../common/metrics/metrics.js';
import { orgLabel } from '../../common/metrics/org-label.js';
import { IngestEnqueuer, JobKind, JobPriorityClass } from '../ingest/ingest.types.js';
import type { KnowledgeItemDto } from '../knowledge/dto/knowledge.dto.js';
import { KnowledgeService, type NewKnowledgeItem } from '../knowledge/knowledge.service.js';
import { normaliseFileName } from './content/file-name.js';
import { fairKey, WorkClass, type EngineCaller } from '../../common/fair/fair-scheduler.js';
import { HtmlEngine } from './content/html.js';
import { checkImageSize, type ImageSize } from './content/image-probe.js';
import type { UploadedFile } from './content/multipart.js';
import { PdfService } from './content/pdf-text.js';
import { sniffUpload, UploadKind } from './content/sniff.js';
import { OcrEngine } from './ocr/ocr.engine.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { Charges, type ChargeHeaders } from '../limits/charges.service.js';

export interface UploadOutcome {
  item: KnowledgeItemDto;
  /** Set when the text comes later from an ocr job (large image). */
  jobId?: string;
  /** RateLimit headers of the `ocr` cost an image or a PDF was charged (none for text and HTML). */
  charged?: ChargeHeaders;
}

/**
 * Uploads: type by bytes, then the one extraction that type allows (UTF-8 text, sanitised HTML,
 * PDF text under page and time limits, OCR under a pixel limit), all before the database is
 * touched; then one short tenant transaction writes the item (and, for a large image, its blob
 * and ocr job). Any refusal happens before that transaction, so nothing is ever half-stored.
 */
@Injectable()
export class UploadService {
  constructor(
    @Inject(IntakeConfig) private readonly intakeConfig: IntakeConfig,
    private readonly tenants: TenantTransactions,
    private readonly knowledge: KnowledgeService,
    private readonly ocr: OcrEngine,
    private readonly html: HtmlEngine,
    private readonly pdf: PdfService,
    // The ingest module (global) provides it: the outbox row joins the upload's transaction.
    private readonly enqueuer: IngestEnqueuer,
    private readonly charges: Charges,
  ) {}

  async upload(tenant: TenantContext, file: UploadedFile): Promise<UploadOutcome> {
    try {
      return await this.ingest(tenant, file);
    } catch (e) {
      if (e instanceof ProblemException) intakeRefusals.inc({ path: 'upload', reason: e.slug ?? String(e.getStatus()), org: orgLabel(tenant.orgId) });
      throw e;
    }
  }

  private async ingest(tenant: TenantContext, file: UploadedFile): Promise<UploadOutcome> {
    const fileName = normaliseFileName(file.fileName);
    const title = (file.fields.title ?? '').trim().slice(0, 300) || fileName;
    // HTML is read to its end by the HTML worker (cleanUpload), not on the event loop.
    const sniffed = await sniffUpload(file.data, fileName, file.clientType, { deferHtmlText: true });
    const base = { title, sourceKind: 'upload' as const, mimeType: sniffed.mime, fileName, byteSize: file.data.length };
    // An org at its cap of stored bytes is refused before any parser or OCR runs (text needs none:
    // its write checks the cap).
    if (sniffed.kind !== UploadKind.Txt && sniffed.kind !== UploadKind.Md) await this.knowledge.assertRoomToStore(tenant, file.data.length);
    // Parsers and OCR are shared engines: this upload waits its org's turn, as request work.
    const who: EngineCaller = { key: fairKey(tenant), cls: WorkClass.Request };

    switch (sniffed.kind) {
      case UploadKind.Txt:
      case UploadKind.Md:
        return this.store(tenant, { ...base, contentText: sniffed.text ?? sniffed.textBytes! });
      case UploadKind.Html: {
        // The bytes go to the worker by transfer: file.data is not used after this.
        const clean = await this.html.cleanUpload(file.data, who);
        return this.store(tenant, { ...base, contentHtml: clean.html, contentText: clean.text });
      }
      case UploadKind.Pdf: {
        // Pages count as `ocr` units: the first before parsing (refused then, nothing parsed), the
        // rest once the parse has counted them (charged past an empty bucket: the work is done).
        const first = await this.charges.charge(tenant, RatePolicy.Ocr, 1);
        const { text, pages } = await this.pdf.text(file.data, who);
        const rest = await this.charges.chargeSpent(tenant, RatePolicy.Ocr, pages - 1);
        // past one page the headers are the bucket's after the rest was taken (the later, true state)
        const charged = pages > 1 ? rest : first;
        return { ...(await this.store(tenant, { ...base, contentText: text })), charged };
      }
      case UploadKind.Png:
      case UploadKind.Jpeg: {
        const size = checkImageSize(file.data, sniffed.mime as 'image/png' | 'image/jpeg', this.intakeConfig.ocrMaxPixels);
        // One OCR'd image, one `ocr` unit: charged before the engine (or its job) runs.
        const charged = await this.charges.charge(tenant, RatePolicy.Ocr, 1);
        if (this.isSmall(size))
          return { ...(await this.store(tenant, { ...base, contentText: await this.ocr.recognize(file.data, who) })), charged };
        return { ...(await this.storeForOcrJob(tenant, base, file.data)), charged };
      }
    }
  }

  /** Small enough to recognise inside the request. */
  isSmall(size: ImageSize): boolean {
    return size.width * size.height <= this.intakeConfig.ocrSyncMaxPixels;
  }

  /** A large image: the item, its bytes and the ocr job commit together (or not at all). */
  storeForOcrJob(
    tenant: TenantContext,
    base: { title: string; sourceKind: 'upload'; mimeType: string; fileName: string; byteSize: number },
    data: Buffer,
  ): Promise<UploadOutcome> {
    return this.tenants.run(tenant, async () => {
      const item = await this.knowledge.createPending(base, data.length);
      await this.knowledge.putBlob(item.id, base.mimeType, data);
      const job = await this.enqueuer.enqueue(
        JobKind.Ocr,
        { knowledge_item_id: item.id },
        { knowledgeItemId: item.id, priorityClass: JobPriorityClass.Interactive, idempotencyKey: `ocr:${item.id}` },
      );
      return { item, jobId: job.id };
    });
  }

  /** The item with its text, and its embed request, in one short tenant transaction. */
  private store(tenant: TenantContext, item: NewKnowledgeItem): Promise<UploadOutcome> {
    return this.tenants.run(tenant, async () => ({ item: await this.knowledge.create(item) }));
  }
}
