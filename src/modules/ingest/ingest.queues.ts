import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { JobKind, queueNameOf } from './ingest.types.js';

/** The BullMQ queue of each job kind, for the dispatcher and the processor alike. */
@Injectable()
export class IngestQueues {
  private readonly byKind: Map<JobKind, Queue>;

  constructor(
    @InjectQueue(queueNameOf(JobKind.Embed)) embed: Queue,
    @InjectQueue(queueNameOf(JobKind.Crawl)) crawl: Queue,
    @InjectQueue(queueNameOf(JobKind.Ocr)) ocr: Queue,
  ) {
    this.byKind = new Map([
      [JobKind.Embed, embed],
      [JobKind.Crawl, crawl],
      [JobKind.Ocr, ocr],
    ]);
  }

  get(kind: JobKind): Queue | undefined {
    return this.byKind.get(kind);
  }

  all(): Queue[] {
    return [...this.byKind.values()];
  }
}
