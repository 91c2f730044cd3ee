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
import { DataSource } from 'typeorm';
import { MembershipCache } from './membership.cache.js';
/**
 * Who a verified user is, before any org is set: read through the narrow SECURITY DEFINER function
 * auth_context() (Foundation migration) and cached per instance (MembershipCache).
 *
 * Why the cache is safe: (1) every change to org_members or users.is_super_admin is NOTIFYed on
 * commit and each instance drops that user at once; while the LISTEN connection is down the cache
 * is off. (2) Even a stale entry cannot grant anything: the first statement of every tenant
 * transaction, tenant_begin(), re-checks the membership and role in the database (same round trip
 * as set_config) and refuses with 403.
 */
let MembershipRepository = class MembershipRepository {
    constructor(dataSource, cache) {
        this.dataSource = dataSource;
        this.cache = cache;
    }
    /** undefined: no such user (not cached, so a user created meanwhile is found at once). */
    load(userId) {
        return this.cache.get(userId, async () => {
            const rows = await this.dataSource.query('SELECT user_id, is_super_admin, org_id, role FROM auth_context($1)', [userId]);
            if (rows.length === 0)
                return undefined;
            return {
                userId: rows[0].user_id,
                isSuperAdmin: rows[0].is_super_admin,
                memberships: rows.filter((r) => r.org_id).map((r) => ({ orgId: r.org_id, role: r.role })),
            };
        });
    }
};
MembershipRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [DataSource,
        MembershipCache])
], MembershipRepository);
export { MembershipRepository };
//# sourceMappingURL=membership.repository.js.map