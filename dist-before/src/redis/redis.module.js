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
import { Global, Inject, Module } from '@nestjs/common';
import { RedisFactory } from './redis.factory.js';
export const REDIS = Symbol('REDIS');
/**
 * One shared command connection (health, caches, limits, ingest slots) and the factory every other
 * connection comes from. Keys always start with REDIS_PREFIX; a script's keys share a hash tag.
 */
let RedisModule = class RedisModule {
    constructor(redis) {
        this.redis = redis;
    }
    onApplicationShutdown() {
        this.redis.disconnect();
    }
};
RedisModule = __decorate([
    Global(),
    Module({
        providers: [
            RedisFactory,
            {
                provide: REDIS,
                inject: [RedisFactory],
                useFactory: (factory) => factory.create('shared'),
            },
        ],
        exports: [REDIS, RedisFactory],
    }),
    __param(0, Inject(REDIS)),
    __metadata("design:paramtypes", [Object])
], RedisModule);
export { RedisModule };
//# sourceMappingURL=redis.module.js.map