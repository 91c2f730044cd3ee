var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RedisConfig } from '../../config/slices.js';
import { RedisFactory } from '../../redis/redis.factory.js';
import { JobKind, queueNameOf } from './ingest.types.js';
import { bullPrefix } from './queue.config.js';
/**
 * The BullMQ queue of each job kind, for the dispatcher and the processor alike, on one producer
 * connection from the RedisFactory (fails fast while Redis is down: the outbox keeps the rows).
 */
let IngestQueues = class IngestQueues {
    constructor(factory, redisConfig) {
        this.connection = factory.create('queue');
        this.byKind = new Map(Object.values(JobKind).map((kind) => [kind, new Queue(queueNameOf(kind), { connection: this.connection, prefix: bullPrefix(redisConfig, kind) })]));
    }
    get(kind) {
        return this.byKind.get(kind);
    }
    all() {
        return [...this.byKind.values()];
    }
    async onApplicationShutdown() {
        await Promise.allSettled(this.all().map((q) => q.close()));
        this.connection.disconnect();
    }
};
IngestQueues = __decorate([
    Injectable(),
    __param(1, Inject(RedisConfig)),
    __metadata("design:paramtypes", [RedisFactory, RedisConfig])
], IngestQueues);
export { IngestQueues };
//# sourceMappingURL=ingest.queues.js.map