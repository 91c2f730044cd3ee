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
import { isoTs } from '../../common/dto/page.dto.js';
const FLAG_COLS = `key, description, default_enabled, rollout_percent, ${isoTs('created_at')}, ${isoTs('updated_at')}`;
const OVERRIDE_COLS = `org_id, flag_key, enabled, ${isoTs('updated_at')}`;
/**
 * feature_flags and feature_flag_overrides. Writes pass the database's own super_admin policies
 * (and are audited by its trigger); reads of overrides are scoped by RLS to the org, or to all
 * orgs for a super_admin.
 */
let FlagsRepository = class FlagsRepository {
    constructor(db) {
        this.db = db;
    }
    flags() {
        return this.db.query(`SELECT ${FLAG_COLS} FROM feature_flags ORDER BY key`);
    }
    /** The current org's overrides (none without an org). */
    async orgOverrides() {
        const { orgId } = this.db.context();
        if (!orgId)
            return [];
        return this.db.query(`SELECT flag_key, enabled FROM feature_flag_overrides WHERE org_id = $1`, [orgId]);
    }
    /** Every org's overrides (of one flag): RLS returns other orgs' rows only to a super_admin. */
    allOverrides(key) {
        return key
            ? this.db.query(`SELECT ${OVERRIDE_COLS} FROM feature_flag_overrides WHERE flag_key = $1 ORDER BY org_id`, [key])
            : this.db.query(`SELECT ${OVERRIDE_COLS} FROM feature_flag_overrides ORDER BY flag_key, org_id`);
    }
    async upsertFlag(key, enabled, rolloutPercent, description, defaultDescription) {
        return (await this.db.one(`INSERT INTO feature_flags (key, default_enabled, rollout_percent, description)
       VALUES ($1, $2, coalesce($3::smallint, 0), coalesce($4, $5))
       ON CONFLICT (key) DO UPDATE SET
         default_enabled = excluded.default_enabled,
         rollout_percent = coalesce($3::smallint, feature_flags.rollout_percent),
         description = coalesce($4, feature_flags.description),
         updated_at = clock_timestamp()
       RETURNING ${FLAG_COLS}`, [key, enabled, rolloutPercent ?? null, description ?? null, defaultDescription]));
    }
    async orgExists(orgId) {
        return (await this.db.one(`SELECT 1 AS x FROM orgs WHERE id = $1`, [orgId])) !== undefined;
    }
    async setOverride(orgId, key, enabled) {
        return (await this.db.one(`INSERT INTO feature_flag_overrides (org_id, flag_key, enabled) VALUES ($1, $2, $3)
       ON CONFLICT (org_id, flag_key) DO UPDATE SET enabled = excluded.enabled, updated_at = clock_timestamp()
       RETURNING ${OVERRIDE_COLS}`, [orgId, key, enabled]));
    }
    async clearOverride(orgId, key) {
        return (await this.db.query(`DELETE FROM feature_flag_overrides WHERE org_id = $1 AND flag_key = $2 RETURNING org_id`, [orgId, key])).length > 0;
    }
    /** Newest first, keyset on id. RLS shows the audit log to a super_admin only. */
    audit(key, limit, beforeId) {
        return this.db.query(`SELECT id::text AS id, ${isoTs('at')}, actor_user_id, flag_key, target_org_id, action, before, after, request_id
         FROM feature_flag_audit
        WHERE ($1::text IS NULL OR flag_key = $1) AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC LIMIT $3`, [key ?? null, beforeId ?? null, limit]);
    }
};
FlagsRepository = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [TenantDb])
], FlagsRepository);
export { FlagsRepository };
//# sourceMappingURL=flags.repository.js.map