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
var LimitsService_1;
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { LimitsConfig } from '../../config/slices.js';
import { notFound } from '../../common/filters/problem.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { LimitsCache } from './limits.cache.js';
import { LimitsRepository } from './limits.repository.js';
import { BUILTIN_DEFAULTS, ORG_CAPS, ORG_POLICIES, OrgCap, RATE_POLICIES, USAGE_UNITS, } from './limits.types.js';
/** Built-in defaults, then RATE_LIMIT_DEFAULTS, then RATE_LIMIT_DRY_RUN. */
export function defaultsFrom(limitsConfig) {
    const out = structuredClone(BUILTIN_DEFAULTS);
    const fromEnv = limitsConfig.defaults
        ? JSON.parse(limitsConfig.defaults)
        : {};
    for (const p of RATE_POLICIES)
        Object.assign(out[p], pickPolicy(fromEnv[p]));
    for (const p of (limitsConfig.dryRun ?? '').split(','))
        if (p in out)
            out[p].dry_run = true;
    return out;
}
function pickPolicy(v) {
    if (!v || typeof v !== 'object')
        return {};
    const o = v;
    const out = {};
    if (Number.isInteger(o.limit) && o.limit > 0)
        out.limit = o.limit;
    if (Number.isInteger(o.window_s) && o.window_s > 0)
        out.window_s = o.window_s;
    if (Number.isInteger(o.burst) && o.burst > 0)
        out.burst = o.burst;
    if (typeof o.dry_run === 'boolean')
        out.dry_run = o.dry_run;
    if (Number.isInteger(o.concurrency) && o.concurrency > 0)
        out.concurrency = o.concurrency;
    return out;
}
/** The platform's caps (LIMITS_MAX_*), under an org's own. */
export function capDefaultsFrom(limitsConfig) {
    return { [OrgCap.StoredChunks]: limitsConfig.maxStoredChunks, [OrgCap.QueuedJobs]: limitsConfig.maxQueuedJobs };
}
/** Defaults with an org's stored overrides on top. */
export function effectiveOf(orgId, defaults, row, capDefaults) {
    const stored = row?.policies ?? {};
    const policies = {};
    for (const p of RATE_POLICIES) {
        const o = pickPolicy(stored[p]);
        const merged = { ...defaults[p], ...o };
        // An org's own limit without its own burst: the bucket holds that limit.
        const burst = o.burst ?? (o.limit === undefined ? defaults[p].burst : undefined) ?? merged.limit;
        policies[p] = { ...merged, burst, source: Object.keys(o).length ? 'org' : 'default' };
    }
    const quotas = {};
    const q = (stored.quotas ?? {});
    for (const u of USAGE_UNITS)
        quotas[u] = Number.isInteger(q[u]) ? q[u] : null;
    const job_rate = Number.isInteger(stored.job_rate) ? stored.job_rate : null;
    const c = (stored.caps ?? {});
    const caps = {};
    for (const k of ORG_CAPS)
        caps[k] = Number.isInteger(c[k]) ? c[k] : capDefaults[k];
    return { org_id: orgId, policies, quotas, job_concurrency: row?.job_concurrency ?? null, job_rate, caps };
}
/** Applies an admin update: given policies merge field by field, null resets to the default. */
export function mergeUpdate(row, body) {
    const policies = structuredClone(row?.policies ?? {});
    for (const p of ORG_POLICIES) {
        const v = body[p];
        if (v === undefined)
            continue;
        if (v === null) {
            delete policies[p];
            continue;
        }
        const merged = {
            ...policies[p],
            ...pickPolicy(v),
        };
        if (v.burst === null)
            delete merged.burst; // back to the default: the limit
        policies[p] = merged;
    }
    if (body.quotas !== undefined) {
        const quotas = body.quotas === null ? {} : { ...(policies.quotas ?? {}) };
        for (const u of USAGE_UNITS) {
            const v = body.quotas?.[u];
            if (v === null)
                delete quotas[u];
            else if (v !== undefined)
                quotas[u] = v;
        }
        if (Object.keys(quotas).length)
            policies.quotas = quotas;
        else
            delete policies.quotas;
    }
    if (body.caps !== undefined) {
        const caps = body.caps === null ? {} : { ...(policies.caps ?? {}) };
        for (const k of ORG_CAPS) {
            const v = body.caps?.[k];
            if (v === null)
                delete caps[k];
            else if (v !== undefined)
                caps[k] = v;
        }
        if (Object.keys(caps).length)
            policies.caps = caps;
        else
            delete policies.caps;
    }
    if (body.job_rate === null)
        delete policies.job_rate;
    else if (body.job_rate !== undefined)
        policies.job_rate = body.job_rate;
    const job_concurrency = body.job_concurrency === undefined ? (row?.job_concurrency ?? null) : body.job_concurrency;
    return { policies, job_concurrency };
}
/**
 * Effective per-org limits, cached per instance (LimitsCache): an admin override applies on every
 * instance within a moment, and within LIMITS_CACHE_MS even if the message is lost.
 */
let LimitsService = LimitsService_1 = class LimitsService {
    constructor(limitsConfig, cache, repo, tenants, cls) {
        this.cache = cache;
        this.repo = repo;
        this.tenants = tenants;
        this.cls = cls;
        this.log = new Logger(LimitsService_1.name);
        this.defaults = defaultsFrom(limitsConfig);
        this.capDefaults = capDefaultsFrom(limitsConfig);
        this.platform = effectiveOf('', this.defaults, undefined, this.capDefaults);
    }
    /** Runs fn in its own short transaction for `ctx`, leaving the caller's context untouched. */
    inOrg(ctx, fn) {
        return this.cls.run({ ifNested: 'inherit' }, () => this.tenants.run(ctx, fn));
    }
    /** Effective limits of the caller's org (cached). */
    async forTenant(t) {
        const orgId = t.orgId;
        try {
            return await this.cache.get(orgId, async () => {
                try {
                    return effectiveOf(orgId, this.defaults, await this.inOrg(t, () => this.repo.get()), this.capDefaults);
                }
                catch (e) {
                    this.log.warn(`org limits unreadable for ${orgId}: ${e.message}`);
                    throw e;
                }
            });
        }
        catch {
            // Database trouble must not stop traffic: keep the last known limits, else the defaults.
            return this.cache.peek(orgId) ?? effectiveOf(orgId, this.defaults, undefined, this.capDefaults);
        }
    }
    /** GET /v1/admin/orgs/:orgId/limits: any org's effective limits, read as the super_admin with that org set. */
    async forOrg(actor, orgId) {
        const ctx = { ...actor, orgId, role: null, isSuperAdmin: true };
        const row = await this.inOrg(ctx, async () => {
            if (!(await this.repo.orgExists(orgId)))
                throw notFound('org');
            return this.repo.get();
        });
        return effectiveOf(orgId, this.defaults, row, this.capDefaults);
    }
    /** PUT /v1/admin/orgs/:orgId/limits: runs as the super_admin with the target org set. */
    async update(actor, orgId, body) {
        const ctx = { ...actor, orgId, role: null, isSuperAdmin: true };
        const row = await this.inOrg(ctx, async () => {
            if (!(await this.repo.orgExists(orgId)))
                throw notFound('org');
            const merged = mergeUpdate(await this.repo.get(true), body);
            await this.repo.upsert(merged);
            return merged;
        });
        await this.cache.publish(orgId);
        return effectiveOf(orgId, this.defaults, row, this.capDefaults);
    }
};
LimitsService = LimitsService_1 = __decorate([
    Injectable(),
    __param(0, Inject(LimitsConfig)),
    __metadata("design:paramtypes", [LimitsConfig,
        LimitsCache,
        LimitsRepository,
        TenantTransactions,
        ClsService])
], LimitsService);
export { LimitsService };
//# sourceMappingURL=limits.service.js.map