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
import { badRequest, notFound } from '../../common/filters/problem.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { FLAG_CATALOGUE, FLAG_KEYS } from './flag-key.js';
import { evaluateAll } from './flags.evaluate.js';
import { ALL } from '../../common/cache/invalidated-cache.js';
import { FlagsCache, NO_ORG } from './flags.cache.js';
import { FlagsRepository } from './flags.repository.js';
let FlagsService = class FlagsService {
    constructor(repo, tenants, cache) {
        this.repo = repo;
        this.tenants = tenants;
        this.cache = cache;
    }
    /**
     * The effective flags of the context's org. Joins the request's transaction when there is one
     * (GET /v1/flags), else runs a short one of its own (the @RequireFlag guard runs before it).
     */
    effective(ctx) {
        return this.cache.get(ctx.orgId ?? NO_ORG, async () => {
            const [rows, overrides] = await this.tenants.run(ctx, async () => [await this.repo.flags(), await this.repo.orgOverrides()]);
            return evaluateAll(new Map(rows.map((r) => [r.key, r])), new Map(overrides.map((o) => [o.flag_key, o.enabled])), ctx.orgId);
        });
    }
    async isEnabled(ctx, key) {
        return (await this.effective(ctx))[key];
    }
    /** Every known flag with its settings and every org's overrides (super_admin). */
    async list() {
        const [rows, overrides] = [await this.repo.flags(), await this.repo.allOverrides()];
        return FLAG_KEYS.map((key) => {
            const row = rows.find((r) => r.key === key);
            return {
                key,
                description: row?.description || FLAG_CATALOGUE[key].description,
                default_enabled: row?.default_enabled ?? FLAG_CATALOGUE[key].defaultEnabled,
                rollout_percent: row?.rollout_percent ?? 0,
                configured: row !== undefined,
                created_at: row?.created_at ?? null,
                updated_at: row?.updated_at ?? null,
                overrides: overrides.filter((o) => o.flag_key === key),
            };
        });
    }
    async audit(key, limit = 20, cursor) {
        let beforeId;
        if (cursor) {
            beforeId = Buffer.from(cursor, 'base64url').toString('utf8');
            if (!/^[1-9][0-9]{0,17}$/.test(beforeId))
                throw badRequest('cursor is invalid');
        }
        const rows = await this.repo.audit(key, limit + 1, beforeId);
        const data = rows.slice(0, limit);
        const more = rows.length > limit;
        return { data, next_cursor: more ? Buffer.from(data[data.length - 1].id).toString('base64url') : null };
    }
    /*
     * Writes run in their own transaction (their routes are @NoTransaction) so that the
     * invalidation is published only once the change is committed and readable by every instance.
     */
    async upsertFlag(ctx, key, body) {
        const flag = await this.tenants.run(ctx, async () => {
            const row = await this.repo.upsertFlag(key, body.enabled, body.rollout_percent, body.description, FLAG_CATALOGUE[key].description);
            return { ...row, key, configured: true, overrides: await this.repo.allOverrides(key) };
        });
        await this.cache.publish(ALL);
        return flag;
    }
    async setOverride(ctx, key, orgId, enabled) {
        const row = await this.tenants.run(ctx, async () => {
            if (!(await this.repo.orgExists(orgId)))
                throw notFound('org');
            return this.repo.setOverride(orgId, key, enabled);
        });
        await this.cache.publish(orgId);
        return row;
    }
    async clearOverride(ctx, key, orgId) {
        const removed = await this.tenants.run(ctx, () => this.repo.clearOverride(orgId, key));
        if (!removed)
            throw notFound('override');
        await this.cache.publish(orgId);
    }
};
FlagsService = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [FlagsRepository,
        TenantTransactions,
        FlagsCache])
], FlagsService);
export { FlagsService };
//# sourceMappingURL=flags.service.js.map