import { Global, Module } from '@nestjs/common';
import { IngestController } from './ingest.controller.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestService } from './ingest.service.js';
import { IngestEnqueuer } from './ingest.types.js';
import { JobPayloadParser } from './job-payloads.js';

/**
 * The job API and the outbox writer, in every process. Global so that any feature can inject
 * IngestEnqueuer without importing this module (and without import cycles). The dispatcher and the
 * workers live in IngestWorkerModule, loaded only where ROCKER_ROLE runs workers.
 */
@Global()
@Module({
  controllers: [IngestController],
  providers: [IngestRepository, IngestService, JobPayloadParser, { provide: IngestEnqueuer, useExisting: IngestService }],
  exports: [IngestEnqueuer, IngestRepository, JobPayloadParser],
})
export class IngestModule {}
