import { Inject, Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { conflict, notFound } from '../../common/filters/problem.js';
import { IngestConfig } from '../../config/slices.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestEnqueuer, JobKind, JobPriorityClass, type EnqueuedJob, type EnqueueOptions, type JobPayloads, type JobStatus } from './ingest.types.js';
import type { IngestJobDto } from './dto/ingest-job.dto.js';

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
  ) {
    super();
  }

  async enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], opts: EnqueueOptions = {}): Promise<EnqueuedJob> {
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

  async retry(id: string): Promise<IngestJobDto> {
    const row = await this.jobs.retry(id);
    if (row) return row;
    const job = await this.get(id);
    throw conflict(`only a failed job can be retried; this one is ${job.status}`);
  }

  async cancel(id: string): Promise<IngestJobDto> {
    const row = await this.jobs.cancel(id);
    if (row) return row;
    const job = await this.get(id);
    throw conflict(`only a queued job can be cancelled; this one is ${job.status}`);
  }
}
