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
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { ProcessConfig } from '../../config/slices.js';
import { ProcessSpawner } from './spawner.js';
/** One spawner per process at ENGINE_NICE, closed (with whatever it still runs) at shutdown. */
let AppProcessSpawner = class AppProcessSpawner extends ProcessSpawner {
    constructor(config) {
        super(ProcessSpawner.defaultScript(), config.engineNice);
    }
    async onApplicationShutdown() {
        await this.close();
    }
};
AppProcessSpawner = __decorate([
    Injectable(),
    __param(0, Inject(ProcessConfig)),
    __metadata("design:paramtypes", [ProcessConfig])
], AppProcessSpawner);
export { AppProcessSpawner };
let ProcessModule = class ProcessModule {
};
ProcessModule = __decorate([
    Global(),
    Module({
        providers: [AppProcessSpawner, { provide: ProcessSpawner, useExisting: AppProcessSpawner }],
        exports: [ProcessSpawner],
    })
], ProcessModule);
export { ProcessModule };
//# sourceMappingURL=process.module.js.map