import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { conflict, notFound, ProblemException } from '../../common/filters/problem.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { IngestConfig, SearchConfig } from '../../config/slices.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { Charges, type ChargeHeaders } from '../limits/charges.service.js';
import { LimitsService } from '../limits/limits.service.js';
import { OrgCap } from '../limits/limits.types.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestEnqueuer, tooLongChunks, JobKind, JobPriorityClass, type EnqueuedJob, type EnqueueOptions, type JobPayloads, type JobStatus } from './ingest.types.js';
import type { IngestJobDto } from './dto/ingest-job.dto.js';

/** What a manual retry is charged, per job kind (an embed job meters its inputs when it runs). */
const RETRY_POLICY: Partial<Record<JobKind, RatePolicy>> = {
  [JobKind.Crawl]: RatePolicy.Crawl,
  [JobKind.Ocr]: RatePolicy.Ocr,
};

/** When to try again after a full queue: jobs start within seconds, a backlog drains in about this. */
const QUEUE_FULL_RETRY_S = 30;

/**
 * The transactional outbox (IngestEnqueuer) and the job API. Enqueue only writes the row in the
 * caller's tenant transaction; the dispatcher hands it to BullMQ after commit, so a rollback
 * leaves no job behind and a Redis outage loses none.
 */
@Injectable()
export class IngestService extends IngestEnqueuer {
  constructor(
    private readonly jobs: IngestRepository,
    @Inject(IngestConfig) private readonly ingestConfig: IngestConfig,
    @Inject(SearchConfig) private readonly searchConfig: SearchConfig,
    private readonly tenants: TenantTransactions,
    private readonly limits: LimitsService,
    private readonly charges: Charges,
  ) {
    super();
  }

  async enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], opts: EnqueueOptions = {}): Promise<EnqueuedJob> {
    if (!opts.followUp) await this.assertRoomInQueue();
    const row = await this.jobs.insert({
      kind,
      payload,
      knowledgeItemId: opts.knowledgeItemId ?? null,
      priorityClass: opts.priorityClass ?? JobPriorityClass.Interactive,
      idempotencyKey: opts.idempotencyKey ?? null,
      maxAttempts: this.ingestConfig.maxAttempts,
    });
    return { id: row.id, kind: row.kind, status: row.status };
  }

  async list(limit = 20, cursor: string | undefined, filter: { status?: JobStatus; kind?: JobKind }): Promise<Page<IngestJobDto>> {
    return pageOf(await this.jobs.list(limit, filter, decodeCursor(cursor)), limit);
  }

  async get(id: string): Promise<IngestJobDto> {
    return (await this.jobs.get(id)) ?? Promise.reject(notFound('ingest job'));
  }

  /**
   * failed or cancelled → queued. A manual retry is new work, charged again like the request that
   * first asked for it (a crawl job one `crawl` page, an ocr job one `ocr` image; an embed job
   * meters its inputs when it runs), and it joins the org's queued jobs (cap). Automatic attempts
   * after a system failure are the same request's and cost nothing more.
   */
  async retry(id: string): Promise<{ job: IngestJobDto; charged: ChargeHeaders }> {
    const failed = await this.get(id);
    if (failed.status !== 'failed' && failed.status !== 'cancelled')
      throw conflict(`only a failed or cancelled job can be retried; this one is ${failed.status}`);
    this.assertVerdictCanChange(failed);
    await this.assertRoomInQueue();
    const policy = RETRY_POLICY[failed.kind as JobKind];
    const charged = policy ? await this.charges.charge(this.context(), policy, 1) : {};
    const row = await this.jobs.retry(id);
    if (row) return { job: row, charged };
    const job = await this.get(id);
    throw conflict(`only a failed or cancelled job can be retried; this one is ${job.status}`);
  }

  /**
   * An embed job failed `too-long` fails the same way until the limit is raised past its chunks (an
   * item's text does not change): a retry would read and chunk the whole text again for nothing, so
   * it is refused (409) while the verdict stands.
   */
  private assertVerdictCanChange(failed: IngestJobDto): void {
    if (failed.kind !== JobKind.Embed) return;
    const chunks = tooLongChunks(failed.last_error);
    if (chunks > this.searchConfig.itemMaxChunks)
      throw conflict(
        `this item's text makes ${chunks} chunks, more than the ${this.searchConfig.itemMaxChunks} one item may be indexed as: a retry would fail the same way; split it into smaller items`,
      );
  }

  /**
   * The org's cap of queued jobs (caps.queued_jobs): past it, 429 quota-exceeded and the request's
   * transaction rolls back, so nothing it wrote is kept half-done; the jobs already queued are untouched.
   */
  private async assertRoomInQueue(): Promise<void> {
    const ctx = this.context();
    const cap = (await this.limits.forTenant(ctx)).caps[OrgCap.QueuedJobs];
    const queued = await this.jobs.countQueued(cap);
    if (queued < cap) return;
    throw new ProblemException(
      429,
      'quota-exceeded',
      `this org has ${cap} ingest jobs waiting, its cap: retry once some have run`,
      { cap: OrgCap.QueuedJobs, limit: cap, used: queued },
      { 'Retry-After': String(QUEUE_FULL_RETRY_S) },
    );
  }

  private context() {
    const ctx = this.tenants.current();
    if (!ctx?.orgId) throw new Error('ingest jobs are enqueued inside a tenant transaction');
    return ctx;
  }

  async cancel(id: string): Promise<IngestJobDto> {
    const row = await this.jobs.cancel(id);
    if (row) return row;
    const job = await this.get(id);
    throw conflict(`only a queued job can be cancelled; this one is ${job.status}`);
  }
}
