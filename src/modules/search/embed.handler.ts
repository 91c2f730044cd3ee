import { Injectable } from '@nestjs/common';
import {
  JobHandler,
  JobKind,
  PermanentJobError,
  type IngestHandler,
  type IngestJobContext,
} from '../ingest/ingest.types.js';
import { EmbedItemService } from './embed-item.service.js';

/** The `embed` job: found by the ingest pipeline through @JobHandler; runs in the job's tenant transaction. */
@Injectable()
@JobHandler(JobKind.Embed)
export class EmbedJobHandler implements IngestHandler {
  readonly kind = JobKind.Embed;

  constructor(private readonly embed: EmbedItemService) {}

  async handle(job: IngestJobContext): Promise<void> {
    const id =
      job.knowledgeItemId ??
      (typeof job.payload.knowledgeItemId === 'string' ? job.payload.knowledgeItemId : null);
    if (!id) throw new PermanentJobError('embed job without a knowledge item id');
    // 'failed' (nothing to embed) is recorded on the item in this transaction; throwing would roll it back.
    await this.embed.embedItem(id);
  }
}
