import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IngestDispatcher } from './ingest.dispatcher.js';
import { IngestOutboxRepository } from './ingest-outbox.repository.js';
import { IngestProcessor } from './ingest.processor.js';
import { OrgSlots } from './org-slots.js';
import { IngestQueues } from './ingest.queues.js';

/**
 * The dispatcher (outbox → BullMQ) and the workers. Imported where ROCKER_ROLE is `all` or
 * `worker`; an `api` process only writes rows, which a worker process's dispatcher picks up.
 * Every Redis connection (queues, workers, slots) comes from the RedisFactory: one server or a cluster.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [IngestOutboxRepository, IngestQueues, IngestDispatcher, OrgSlots, IngestProcessor],
  exports: [IngestDispatcher, IngestProcessor],
})
export class IngestWorkerModule {}
