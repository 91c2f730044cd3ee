import { Inject, Injectable } from '@nestjs/common';
import { IntakeConfig } from '../../../config/slices.js';
import { checkImageSize } from '../content/image-probe.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { EngineBusyError, WorkClass } from '../../../common/fair/fair-scheduler.js';
import {
  IngestHandler,
  IngestJobContext,
  JobCommit,
  JobHandler,
  JobKind,
  PermanentJobError,
} from '../../ingest/ingest.types.js';
import { KnowledgeService } from '../../knowledge/knowledge.service.js';
import { OcrEngine } from './ocr.engine.js';

/**
 * The ocr job: the item's stored image → its text, then the image is dropped. Reads in a short
 * tenant transaction, recognises in none, writes text, blob removal and embed request together;
 * re-running after success finds no blob and changes nothing.
 */
@Injectable()
@JobHandler(JobKind.Ocr)
export class OcrJobHandler implements IngestHandler<JobKind.Ocr> {
  readonly kind = JobKind.Ocr;

  constructor(
    @Inject(IntakeConfig) private readonly intakeConfig: IntakeConfig,
    private readonly engine: OcrEngine,
    private readonly knowledge: KnowledgeService,
  ) {}

  async handle(job: IngestJobContext<JobKind.Ocr>): Promise<JobCommit | void> {
    const itemId = job.payload.knowledge_item_id;
    const { item, blob } = await job.db(async () => ({
      item: await this.knowledge.find(itemId),
      blob: await this.knowledge.getBlob(itemId),
    }));
    if (!item) throw new PermanentJobError('not-found: the knowledge item no longer exists');
    if (!blob) {
      if (item.text_bytes !== null) return; // already done by an earlier delivery
      throw new PermanentJobError('not-found: the image to recognise is gone');
    }
    let text: string;
    try {
      checkImageSize(blob.data, blob.mime_type as 'image/png' | 'image/jpeg', this.intakeConfig.ocrMaxPixels);
      text = await this.engine.recognize(blob.data, { key: job.orgId, cls: WorkClass.Job }, job.signal);
    } catch (e) {
      // Client-class refusals (bad image, too large, timeout) will not get better on retry; a full
      // queue for the engine (429) and a wait past the time limit (503) will.
      if (e instanceof ProblemException && e.getStatus() < 500 && !(e instanceof EngineBusyError))
        throw new PermanentJobError(`${e.slug}: ${e.message}`);
      throw e;
    }
    return async () => {
      // Gone meanwhile (deleted, or another delivery finished first): nothing left to write.
      if (!(await this.knowledge.deleteBlob(itemId))) return;
      await this.knowledge.setContent(itemId, { contentText: text });
      await this.knowledge.requestEmbedding(itemId, { followUp: true });
    };
  }
}
