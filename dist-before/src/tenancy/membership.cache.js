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
import { DatabaseConfig, sessionUrl } from '../config/slices.js';
import { InvalidatedCache } from '../common/cache/invalidated-cache.js';
import { PgInvalidation } from '../common/cache/pg-invalidation.js';
export const MEMBERSHIP_CACHE_TTL_MS = 60_000;
export const MEMBERSHIP_CACHE_MAX_USERS = 50_000;
/**
 * Each user's AuthRecord, keyed by user id. Every change to org_members or users.is_super_admin
 * fires pg_notify('rocker_auth', user_id) on commit (Foundation migration), whoever made it, so a
 * change reaches every instance within the 1 s SPEC §2 allows. LISTEN needs a session, so it goes
 * over DATABASE_DIRECT_URL when set (never through a transaction pooler). While the LISTEN connection is down
 * (it is retried every second) nothing is cached.
 */
let MembershipCache = class MembershipCache extends InvalidatedCache {
    constructor(databaseConfig) {
        super(new PgInvalidation({
            connectionString: sessionUrl(databaseConfig),
            channel: 'rocker_auth',
            applicationName: 'rocker-auth-listener',
        }), {
            name: 'auth',
            ttlMs: MEMBERSHIP_CACHE_TTL_MS,
            maxEntries: MEMBERSHIP_CACHE_MAX_USERS,
            whenDown: 'bypass',
        });
    }
};
MembershipCache = __decorate([
    Injectable(),
    __param(0, Inject(DatabaseConfig)),
    __metadata("design:paramtypes", [DatabaseConfig])
], MembershipCache);
export { MembershipCache };
//# sourceMappingURL=membership.cache.js.map