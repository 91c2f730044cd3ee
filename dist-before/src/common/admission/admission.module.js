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
import { AdmissionConfig } from '../../config/slices.js';
import { Admission } from './admission.js';
/** One admission controller per process (API). */
let AdmissionModule = class AdmissionModule {
    constructor(admission) {
        this.admission = admission;
    }
    onApplicationShutdown() {
        this.admission.close();
    }
};
AdmissionModule = __decorate([
    Global(),
    Module({
        providers: [
            {
                provide: Admission,
                inject: [AdmissionConfig],
                useFactory: (config) => new Admission({
                    maxInFlight: config.maxInflight,
                    maxLagMs: config.maxLagMs,
                    maxUtilization: config.maxUtilization,
                    maxSlowdown: config.maxSlowdown,
                    sampleMs: config.sampleMs,
                }),
            },
        ],
        exports: [Admission],
    }),
    __param(0, Inject(Admission)),
    __metadata("design:paramtypes", [Admission])
], AdmissionModule);
export { AdmissionModule };
//# sourceMappingURL=admission.module.js.map