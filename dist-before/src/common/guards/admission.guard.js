var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC } from '../decorators/auth.decorators.js';
import { RATE_LIMIT } from '../decorators/rate-limit.decorator.js';
import { Admission, OverloadedError } from '../admission/admission.js';
import { fairKey } from '../fair/fair-scheduler.js';
import { admissionShed } from '../metrics/metrics.js';
import { orgLabel } from '../metrics/org-label.js';
/** What a request to a costly route counts for in the fair share, against 1 for a plain read. */
const COSTLY_WEIGHT = 10;
/** A request body adds one plain read's worth of offered load per this many bytes. */
export const BODY_BYTES_PER_READ = 64 * 1024;
/**
 * Before the limiter: admits the request under its org, or sheds it (429 overloaded) when this
 * instance is saturated. Runs in the onRequest hook (before the body is read) and again as a Nest
 * guard, which finds the request already admitted.
 */
let AdmissionGuard = class AdmissionGuard {
    constructor(reflector, admission) {
        this.reflector = reflector;
        this.admission = admission;
    }
    canActivate(context) {
        const targets = [context.getHandler(), context.getClass()];
        if (this.reflector.getAllAndOverride(IS_PUBLIC, targets))
            return true;
        // a route under a costly policy (search, tts, embeddings, crawl, ocr) weighs more than a plain read
        const costly = !!this.reflector.getAllAndOverride(RATE_LIMIT, targets);
        const http = context.switchToHttp();
        const req = http.getRequest();
        if (req.admitted)
            return true;
        const key = fairKey(req.tenant);
        try {
            const weight = costly ? COSTLY_WEIGHT : 1;
            const bytes = Number(req.headers['content-length']);
            const offered = weight + (bytes > 0 ? Math.floor(bytes / BODY_BYTES_PER_READ) : 0);
            const bodyless = !(bytes > 0) && req.headers['transfer-encoding'] === undefined;
            const end = this.admission.admit(key, weight, offered, bodyless);
            // Timed to when the response is handed to the socket ('prefinish'), not to its close: a client
            // that reads slowly must not make its org look slowed by this instance (and others shed).
            const res = http.getResponse().raw;
            let servedAt;
            res.once('prefinish', () => (servedAt = performance.now()));
            res.once('close', () => end(servedAt));
            req.admitted = true;
        }
        catch (e) {
            if (e instanceof OverloadedError)
                admissionShed.inc({ org: orgLabel(req.tenant?.orgId ?? null) });
            throw e;
        }
        return true;
    }
};
AdmissionGuard = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [Reflector,
        Admission])
], AdmissionGuard);
export { AdmissionGuard };
//# sourceMappingURL=admission.guard.js.map