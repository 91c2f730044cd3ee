import { Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RedisClient } from '../../redis/redis.factory.js';
import { DatabaseConfig } from '../../config/slices.js';
import { REDIS } from '../../redis/redis.module.js';
import { MetricsController } from './metrics.controller.js';
import { enableProcessMetrics } from './metrics-render.js';
import { registerRuntimeCollectors } from './runtime-collectors.js';

/**
 * GET /metrics plus the gauges refreshed at scrape time (DB pool, database and Redis up). Mountable by any Nest
 * application that has DatabaseModule and RedisModule: the API (AppModule) and the worker's own
 * HTTP listener on WORKER_PORT. Without a Nest HTTP app, use serveMetrics() (metrics-server.ts) plus
 * registerRuntimeCollectors() (runtime-collectors.ts).
 */
@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit, OnApplicationShutdown {
  private unregister?: () => void;

  constructor(
    @Inject(DatabaseConfig) private readonly databaseConfig: DatabaseConfig,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  onModuleInit(): void {
    enableProcessMetrics();
    this.unregister = registerRuntimeCollectors({ dataSource: this.dataSource, redis: this.redis, databaseUrl: this.databaseConfig.url });
  }

  onApplicationShutdown(): void {
    this.unregister?.();
    this.unregister = undefined;
  }
}
