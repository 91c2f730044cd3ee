import { Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import { ENV, type Env } from '../../config/env.js';
import { REDIS } from '../../redis/redis.module.js';
import { MetricsController } from './metrics.controller.js';
import { enableProcessMetrics } from './metrics-render.js';
import { collectDbPool, collectDbUp, collectRedisUp } from './runtime-collectors.js';
import { onScrape } from './scrape-hooks.js';

/**
 * GET /metrics plus the gauges refreshed at scrape time (DB pool, database and Redis up). Mountable by any Nest
 * application that has DatabaseModule and RedisModule: the API (AppModule) and the worker's own
 * HTTP listener on WORKER_PORT. Without Nest, use serveMetrics() (metrics-server.ts).
 */
@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit, OnApplicationShutdown {
  private unregister: (() => void)[] = [];

  constructor(
    @Inject(ENV) private readonly env: Env,
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onModuleInit(): void {
    enableProcessMetrics();
    this.unregister.push(
      onScrape(() => collectDbPool(this.dataSource)),
      onScrape(() => collectRedisUp(this.redis)),
      onScrape(() => collectDbUp(this.env.DATABASE_URL)),
    );
  }

  onApplicationShutdown(): void {
    for (const off of this.unregister.splice(0)) off();
  }
}
