import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullModule } from '@nestjs/bullmq';
import { ProcessConfig, RedisConfig } from '../../config/slices.js';
import { IngestDispatcher } from './ingest.dispatcher.js';
import { IngestOutboxRepository } from './ingest-outbox.repository.js';
import { IngestProcessor } from './ingest.processor.js';
import { OrgSlots } from './org-slots.js';
import { IngestQueues } from './ingest.queues.js';
import { JobKind, queueNameOf } from './ingest.types.js';
import { bullConnection } from './queue.config.js';

/**
 * The dispatcher (outbox → BullMQ) and the workers. Imported where ROCKER_ROLE is `all` or
 * `worker`; an `api` process only writes rows, which a worker process's dispatcher picks up.
 */
@Module({
  imports: [
    DiscoveryModule,
    BullModule.forRootAsync({
      inject: [RedisConfig, ProcessConfig],
      useFactory: (redis: RedisConfig, proc: ProcessConfig) => ({ connection: bullConnection(redis, proc.role, false), prefix: redis.prefix }),
    }),
    BullModule.registerQueue(...Object.values(JobKind).map((k) => ({ name: queueNameOf(k) }))),
  ],
  providers: [IngestOutboxRepository, IngestQueues, IngestDispatcher, OrgSlots, IngestProcessor],
  exports: [IngestDispatcher, IngestProcessor],
})
export class IngestWorkerModule {}
