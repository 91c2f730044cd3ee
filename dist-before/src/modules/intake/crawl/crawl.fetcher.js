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
import { Inject, Injectable } from '@nestjs/common';
import { IntakeConfig } from '../../../config/slices.js';
import { CRAWL_CONTENT_TYPES, policyFromEnv, SafeFetcher } from './safe-fetch.js';
export function crawlFetchOptions(intakeConfig) {
    return {
        policy: policyFromEnv(intakeConfig),
        connectTimeoutMs: intakeConfig.crawlConnectTimeoutMs,
        totalTimeoutMs: intakeConfig.crawlTimeoutMs,
        maxBytes: intakeConfig.crawlMaxBytes,
        maxRedirects: 5,
        contentTypes: CRAWL_CONTENT_TYPES,
    };
}
/** The process's one SSRF-guarded fetcher, configured from the environment. */
let CrawlFetcher = class CrawlFetcher extends SafeFetcher {
    constructor(intakeConfig) {
        super(crawlFetchOptions(intakeConfig));
    }
    async onApplicationShutdown() {
        await this.close();
    }
};
CrawlFetcher = __decorate([
    Injectable(),
    __param(0, Inject(IntakeConfig)),
    __metadata("design:paramtypes", [IntakeConfig])
], CrawlFetcher);
export { CrawlFetcher };
//# sourceMappingURL=crawl.fetcher.js.map