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
import { TenantDb } from '../../tenancy/tenant-context.js';
/** org_limits and usage_daily, always inside a tenant transaction (RLS scopes every statement; each names the context's org too). */
let LimitsRepository = class LimitsRepository {
    constructor(db) {
        this.db = db;
    }
    async orgExists(orgId) {
        return !!(await this.db.one(`SELECT 1 AS x FROM orgs WHERE id = $1`, [orgId]));
    }
    get(forUpdate = false) {
        return this.db.one(`SELECT policies, job_concurrency FROM org_limits WHERE org_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [this.db.context().orgId]);
    }
    /** Needs app.actor_role = super_admin in the transaction (the table's write policies check it). */
    async upsert(row) {
        const { orgId, userId } = this.db.context();
        await this.db.query(`INSERT INTO org_limits (org_id, policies, job_concurrency, updated_by) VALUES ($1, $2::jsonb, $3, $4)
       ON CONFLICT (org_id) DO UPDATE SET policies = excluded.policies, job_concurrency = excluded.job_concurrency,
         updated_by = excluded.updated_by, updated_at = clock_timestamp()`, [orgId, JSON.stringify(row.policies), row.job_concurrency, userId]);
    }
    /** Adds flushed usage to the day rows (one statement for the whole batch). */
    async addUsage(rows) {
        if (!rows.length)
            return;
        await this.db.query(`INSERT INTO usage_daily (org_id, day, unit, amount)
       SELECT $1, d::date, u, a FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(d, u, a)
       ON CONFLICT (org_id, day, unit) DO UPDATE SET amount = usage_daily.amount + excluded.amount, updated_at = clock_timestamp()`, [this.db.context().orgId, rows.map((r) => r.day), rows.map((r) => r.unit), rows.map((r) => r.amount)]);
    }
    usage(from, to) {
        return this.db.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, unit, amount::float8 AS amount FROM usage_daily
        WHERE org_id = $1 AND day BETWEEN $2::date AND $3::date ORDER BY day, unit`, [this.db.context().orgId, from, to]);
    }
    /** Flushed usage of one unit from `from` (the month's first day) on: re-seeds a lost quota counter. */
    async since(from, unit) {
        const row = await this.db.one(`SELECT coalesce(sum(amount), 0)::float8 AS amount FROM usage_daily WHERE org_id = $1 AND day >= $2::date AND unit = $3`, [this.db.context().orgId, from, unit]);
        return row?.amount ?? 0;
    }
};
LimitsRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TenantDb])
], LimitsRepository);
export { LimitsRepository };
//# sourceMappingURL=limits.repository.js.map