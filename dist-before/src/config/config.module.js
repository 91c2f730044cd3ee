var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var ConfigModule_1;
import { Global, Module } from '@nestjs/common';
import { ENV } from './env.js';
import { SLICES, slicesOf } from './slices.js';
/**
 * The validated Env and its typed slices (slices.ts), for every module. A module injects its own
 * slice by class; ENV (the whole Env) is for bootstrap and test harnesses only.
 */
let ConfigModule = ConfigModule_1 = class ConfigModule {
    static forRoot(env) {
        const slices = slicesOf(env);
        const providers = Object.entries(SLICES).map(([key, token]) => ({
            provide: token,
            useValue: slices[key],
        }));
        return {
            module: ConfigModule_1,
            providers: [{ provide: ENV, useValue: env }, ...providers],
            exports: [ENV, ...Object.values(SLICES)],
        };
    }
};
ConfigModule = ConfigModule_1 = __decorate([
    Global(),
    Module({})
], ConfigModule);
export { ConfigModule };
//# sourceMappingURL=config.module.js.map