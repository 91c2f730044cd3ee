var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
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
let IngestModule = class IngestModule {
};
IngestModule = __decorate([
    Global(),
    Module({
        controllers: [IngestController],
        providers: [IngestRepository, IngestService, JobPayloadParser, { provide: IngestEnqueuer, useExisting: IngestService }],
        exports: [IngestEnqueuer, IngestRepository, JobPayloadParser],
    })
], IngestModule);
export { IngestModule };
//# sourceMappingURL=ingest.module.js.map