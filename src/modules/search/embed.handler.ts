import { embeddingUnits } from '../embeddings/embedding-provider.js';
import { Inject, Injectable } from '@nestjs/common';
import { SearchConfig } from '../../config/slices.js';
import {
  tenantOfJob,
  JobHandler,
  JobKind,
  PermanentJobError,
  tooLongError,
  type IngestHandler,
  type IngestJobContext,
  type JobCommit,
} from '../ingest/ingest.types.js';
import { EmbedItemService } from './embed-item.service.js';
import { UsageService } from '../limits/usage.service.js';
import { OrgCap, UsageUnit } from '../limits/limits.types.js';
import { LimitsService } from '../limits/limits.service.js';
import { Charges } from '../limits/charges.service.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { ProblemException } from '../../common/filters/problem.js';
import { WorkClass } from '../../common/fair/fair-scheduler.js';

/**
 * The `embed` job, found by the ingest pipeline through @JobHandler: reads the item in a short
 * transaction, runs the model in none, and hands back the write (chunks + item status).
 */
@Injectable()
@JobHandler(JobKind.Embed)
export class EmbedJobHandler implements IngestHandler<JobKind.Embed> {
  readonly kind = JobKind.Embed;

  constructor(
    private readonly embed: EmbedItemService,
    private readonly usage: UsageService,
    private readonly limits: LimitsService,
    @Inject(SearchConfig) private readonly searchConfig: SearchConfig,
    private readonly charges: Charges,
  ) {}

  async handle(job: IngestJobContext<JobKind.Embed>): Promise<JobCommit | void> {
    const id = job.payload.knowledge_item_id;
    const ctx = tenantOfJob(job);
    const cap = (await this.limits.forTenant(ctx)).caps[OrgCap.StoredChunks];
    const read = await job.db(async () => {
      const text = await this.embed.read(id);
      return text === null ? null : { ...text, stored: await this.embed.storedBesides(id, cap) };
    });
    if (!read) return; // deleted meanwhile
    const { stored, ...text } = read;
    // chunked after the transaction, on the chunk engine: a long text never holds the event loop
    const plan = await this.embed.chunked(id, text, { key: job.orgId, cls: WorkClass.Job }, job.signal);
    // One item's chunks are written in one statement: past SEARCH_ITEM_MAX_CHUNKS the job fails
    // before the model runs (a retry would fail the same way; the document is to be split).
    const most = this.searchConfig.itemMaxChunks;
    if (plan.chunks.length > most)
      throw tooLongError(plan.chunks.length, most);
    // The org's cap of chunks in the vector index: past it the job fails (quota-exceeded) before the
    // model runs; the item keeps its text, and a retry once room is made (or the cap raised) runs.
    if (stored + plan.chunks.length > cap)
      throw new PermanentJobError(
        `quota-exceeded: this item's ${plan.chunks.length} chunks would pass the org's cap of ${cap} stored chunks (${stored} stored)`,
      );
    // Every chunk is an embedding input, charged to the org like POST /v1/embeddings: over the
    // monthly quota the job fails (quota-exceeded) before the model runs; retried later, it runs.
    try {
      await this.usage.assertWithinQuota(ctx, UsageUnit.EmbeddingInputs, embeddingUnits(plan.chunks));
    } catch (e) {
      if (e instanceof ProblemException && e.slug === 'quota-exceeded')
        throw new PermanentJobError(`quota-exceeded: ${e.message}`);
      throw e;
    }
    const who = { key: job.orgId, cls: WorkClass.Job };
    // Charged as the model works, not with the commit (an item deleted meanwhile takes its job row
    // with it, the run is stopped at its next batch and the commit never comes: 100 s of model time
    // went free that way), up to what this generation was charged already, so an automatic attempt
    // after a system failure costs nothing more: metered (usage, quota), and the model's inputs
    // taken from the org's `embeddings` bucket as POST /v1/embeddings takes them (the processor's
    // gate took the first before the job's first attempt; the rest go now, past empty if need be:
    // the org's next embed jobs and embedding requests wait until it is repaid).
    const chargeUpTo = (units: number) =>
      this.charges.chargeJobUpTo(ctx, job.work, units, (more, before) =>
        Promise.all([
          this.usage.record(job.orgId, UsageUnit.EmbeddingInputs, more),
          this.charges.debit(ctx, RatePolicy.Embeddings, before === 0 ? more - 1 : more),
        ]),
      );
    let embedded = 0;
    let vectors;
    try {
      vectors = await this.embed.vectors(plan, job.signal, who, (batch) => (embedded += embeddingUnits(batch)));
    } catch (e) {
      // stopped partway (its lease lost, its process stopping): what the model did is charged
      if (embedded > 0) await chargeUpTo(embedded).catch(() => undefined);
      throw e;
    }
    await chargeUpTo(embeddingUnits(plan.chunks));
    // 'failed' (nothing to embed) is recorded on the item by the write; throwing would roll it back.
    return async () => {
      await this.embed.write(plan, vectors, who);
    };
  }
}
