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
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { Public } from '../../common/decorators/auth.decorators.js';
import { REDIS } from '../../redis/redis.module.js';
const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), ms).unref())]);
let HealthController = class HealthController {
    constructor(health, indicator, dataSource, redis) {
        this.health = health;
        this.indicator = indicator;
        this.dataSource = dataSource;
        this.redis = redis;
    }
    /** The process is up. No dependency is checked (a restart would not fix them). */
    live() {
        return this.health.check([]);
    }
    /** Ready to serve: database reachable, Redis reachable, every migration applied. */
    ready() {
        return this.health.check([
            async () => {
                const i = this.indicator.check('database');
                try {
                    await withTimeout(this.dataSource.query('SELECT 1'), 2000);
                    return i.up();
                }
                catch {
                    return i.down({ message: 'unreachable' });
                }
            },
            async () => {
                const i = this.indicator.check('redis');
                try {
                    await withTimeout(this.redis.ping(), 2000);
                    return i.up();
                }
                catch {
                    return i.down({ message: 'unreachable' });
                }
            },
            async () => {
                const i = this.indicator.check('migrations');
                try {
                    const pending = await withTimeout(this.dataSource.showMigrations(), 2000);
                    return pending ? i.down({ message: 'migrations pending' }) : i.up();
                }
                catch {
                    return i.down({ message: 'unknown' });
                }
            },
        ]);
    }
};
__decorate([
    Get('live'),
    Public(),
    HealthCheck(),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", void 0)
], HealthController.prototype, "live", null);
__decorate([
    Get('ready'),
    Public(),
    HealthCheck(),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", []),
    __metadata("design:returntype", void 0)
], HealthController.prototype, "ready", null);
HealthController = __decorate([
    ApiTags('health'),
    Controller('health'),
    __param(3, Inject(REDIS)),
    __metadata("design:paramtypes", [HealthCheckService,
        HealthIndicatorService,
        DataSource, Object])
], HealthController);
export { HealthController };
//# sourceMappingURL=health.controller.js.map