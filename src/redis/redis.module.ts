import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { RedisFactory, type RedisClient } from './redis.factory.js';

export const REDIS = Symbol('REDIS');

/**
 * One shared command connection (health, caches, limits, ingest slots) and the factory every other
 * connection comes from. Keys always start with REDIS_PREFIX; a script's keys share a hash tag.
 */
@Global()
@Module({
  providers: [
    RedisFactory,
    {
      provide: REDIS,
      inject: [RedisFactory],
      useFactory: (factory: RedisFactory): RedisClient => factory.create('shared'),
    },
  ],
  exports: [REDIS, RedisFactory],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
