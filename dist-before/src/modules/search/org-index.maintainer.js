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
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DatabaseConfig, SearchConfig, TenantContextConfig } from '../../config/slices.js';
import { parseContextKeys } from '../../tenancy/context-mac.js';
import { maintainOrgIndexesAt, orgIndexOptionsOf, signedTenantOpener } from './org-indexes.js';
/**
 * Runs the per-org index pass (org-indexes.ts) every SEARCH_ORG_INDEX_INTERVAL_MS in a worker
 * process, as the owner role on its own connection (DATABASE_OWNER_URL: the owner owns
 * private_chunks; the app and worker roles can create no index). The pass's advisory lock keeps it
 * to one process in the fleet; passes of one process never overlap. A pass that fails is logged
 * and tried again at the next tick: the search stays correct without an index (it uses the
 * shared one, or exact search), only slower.
 */
let OrgIndexMaintainer = class OrgIndexMaintainer {
    constructor(searchConfig, databaseConfig, contextConfig) {
        this.searchConfig = searchConfig;
        this.databaseConfig = databaseConfig;
        this.contextConfig = contextConfig;
        this.logger = new Logger('OrgIndexMaintainer');
        this.running = null;
    }
    onApplicationBootstrap() {
        if (!this.searchConfig.orgIndexIntervalMs)
            return;
        if (!this.databaseConfig.ownerUrl) {
            this.logger.warn('per-org search indexes are not maintained: DATABASE_OWNER_URL is not set');
            return;
        }
        this.timer = setInterval(() => void this.runOnce(), this.searchConfig.orgIndexIntervalMs);
        this.timer.unref();
    }
    onApplicationShutdown() {
        // Not awaited: a build takes minutes. It finishes server-side, or is left invalid (never
        // used by the search) and dropped and built again by the next pass.
        clearInterval(this.timer);
    }
    /** One pass now, or the one already running. Undefined when it failed (logged). */
    runOnce() {
        this.running ??= maintainOrgIndexesAt(this.databaseConfig.ownerUrl, orgIndexOptionsOf(this.searchConfig), (msg) => this.logger.log(msg), 
        // calibration reads each org's rows in the org's own signed context
        signedTenantOpener(parseContextKeys(this.contextConfig.keys)[0], this.contextConfig.ttlMs))
            .catch((e) => {
            this.logger.warn(`per-org index pass failed: ${e.message}`);
            return undefined;
        })
            .finally(() => {
            this.running = null;
        });
        return this.running;
    }
};
OrgIndexMaintainer = __decorate([
    Injectable(),
    __param(0, Inject(SearchConfig)),
    __param(1, Inject(DatabaseConfig)),
    __param(2, Inject(TenantContextConfig)),
    __metadata("design:paramtypes", [SearchConfig,
        DatabaseConfig,
        TenantContextConfig])
], OrgIndexMaintainer);
export { OrgIndexMaintainer };
//# sourceMappingURL=org-index.maintainer.js.map