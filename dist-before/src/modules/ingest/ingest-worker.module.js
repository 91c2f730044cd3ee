var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
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
let IngestWorkerModule = class IngestWorkerModule {
};
IngestWorkerModule = __decorate([
    Module({
        imports: [DiscoveryModule],
        providers: [IngestOutboxRepository, IngestQueues, IngestDispatcher, OrgSlots, IngestProcessor],
        exports: [IngestDispatcher, IngestProcessor],
    })
], IngestWorkerModule);
export { IngestWorkerModule };
//# sourceMappingURL=ingest-worker.module.js.map