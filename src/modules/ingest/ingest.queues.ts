import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { RedisConfig } from '../../config/slices.js';
import { RedisFactory, type RedisClient } from '../../redis/redis.factory.js';
import { JobKind, queueNameOf } from './ingest.types.js';
import { bullPrefix } from './queue.config.js';

/**
 * The BullMQ queue of each job kind, for the dispatcher and the processor alike, on one producer
 * connection from the RedisFactory (fails fast while Redis is down: the outbox keeps the rows).
 */
@Injectable()
export class IngestQueues implements OnApplicationShutdown {
  private readonly connection: RedisClient;
  private readonly byKind: Map<JobKind, Queue>;

  constructor(factory: RedisFactory, @Inject(RedisConfig) redisConfig: RedisConfig) {
    this.connection = factory.create('queue');
    this.byKind = new Map(
      Object.values(JobKind).map((kind) => [kind, new Queue(queueNameOf(kind), { connection: this.connection, prefix: bullPrefix(redisConfig, kind) })]),
    );
  }

  get(kind: JobKind): Queue | undefined {
    return this.byKind.get(kind);
  }

  all(): Queue[] {
    return [...this.byKind.values()];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.all().map((q) => q.close()));
    this.connection.disconnect();
  }
}
