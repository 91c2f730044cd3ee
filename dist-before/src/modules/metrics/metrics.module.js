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
import { Inject, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
let MetricsModule = class MetricsModule {
    constructor(databaseConfig, dataSource, redis) {
        this.databaseConfig = databaseConfig;
        this.dataSource = dataSource;
        this.redis = redis;
    }
    onModuleInit() {
        enableProcessMetrics();
        this.unregister = registerRuntimeCollectors({ dataSource: this.dataSource, redis: this.redis, databaseUrl: this.databaseConfig.url });
    }
    onApplicationShutdown() {
        this.unregister?.();
        this.unregister = undefined;
    }
};
MetricsModule = __decorate([
    Module({ controllers: [MetricsController] }),
    __param(0, Inject(DatabaseConfig)),
    __param(2, Inject(REDIS)),
    __metadata("design:paramtypes", [DatabaseConfig,
        DataSource, Object])
], MetricsModule);
export { MetricsModule };
//# sourceMappingURL=metrics.module.js.map