import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ProcessConfig, RedisConfig } from '../config/slices.js';

export const REDIS = Symbol('REDIS');

/** Options every ioredis client of the service uses: fail fast while Redis is down, reconnect forever. */
export function redisOptions(role: ProcessConfig['role']) {
  return {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
    connectionName: `rocker-${role}`,
  };
}

/** One shared command connection (health, caches, limits). Keys always start with REDIS_PREFIX. */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [RedisConfig, ProcessConfig],
      useFactory: (redis: RedisConfig, proc: ProcessConfig) => {
        const client = new Redis(redis.url, redisOptions(proc.role));
        client.on('error', () => undefined); // availability is reported by health and metrics
        return client;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
