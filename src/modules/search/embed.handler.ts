import { Injectable } from '@nestjs/common';
import {
  JobHandler,
  JobKind,
  PermanentJobError,
  type IngestHandler,
  type IngestJobContext,
  type JobCommit,
} from '../ingest/ingest.types.js';
import { EmbedItemService } from './embed-item.service.js';

/**
 * The `embed` job, found by the ingest pipeline through @JobHandler: reads the item in a short
 * transaction, runs the model in none, and hands back the write (chunks + item status).
 */
@Injectable()
@JobHandler(JobKind.Embed)
export class EmbedJobHandler implements IngestHandler {
  readonly kind = JobKind.Embed;

  constructor(private readonly embed: EmbedItemService) {}

  async handle(job: IngestJobContext): Promise<JobCommit | void> {
    const id =
      job.knowledgeItemId ??
      (typeof job.payload.knowledgeItemId === 'string' ? job.payload.knowledgeItemId : null);
    if (!id) throw new PermanentJobError('embed job without a knowledge item id');
    const plan = await job.db(() => this.embed.plan(id));
    if (!plan) return; // deleted meanwhile
    const vectors = await this.embed.vectors(plan, job.signal);
    // 'failed' (nothing to embed) is recorded on the item by the write; throwing would roll it back.
    return async () => {
      await this.embed.write(plan, vectors);
    };
  }
}
