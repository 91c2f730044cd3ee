import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';
import type { StoredPolicies } from './limits.types.js';

export interface OrgLimitsRow {
  policies: StoredPolicies;
  job_concurrency: number | null;
}

export interface UsageRow {
  day: string;
  unit: string;
  amount: number;
}

/** org_limits and usage_daily, always inside a tenant transaction (RLS scopes every statement; each names the context's org too). */
@Injectable()
export class LimitsRepository {
  constructor(private readonly db: TenantDb) {}

  async orgExists(orgId: string): Promise<boolean> {
    return !!(await this.db.one(`SELECT 1 AS x FROM orgs WHERE id = $1`, [orgId]));
  }

  get(forUpdate = false): Promise<OrgLimitsRow | undefined> {
    return this.db.one<OrgLimitsRow>(
      `SELECT policies, job_concurrency FROM org_limits WHERE org_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [this.db.context().orgId],
    );
  }

  /** Needs app.actor_role = super_admin in the transaction (the table's write policies check it). */
  async upsert(row: OrgLimitsRow): Promise<void> {
    const { orgId, userId } = this.db.context();
    await this.db.query(
      `INSERT INTO org_limits (org_id, policies, job_concurrency, updated_by) VALUES ($1, $2::jsonb, $3, $4)
       ON CONFLICT (org_id) DO UPDATE SET policies = excluded.policies, job_concurrency = excluded.job_concurrency,
         updated_by = excluded.updated_by, updated_at = clock_timestamp()`,
      [orgId, JSON.stringify(row.policies), row.job_concurrency, userId],
    );
  }

  /** Adds flushed usage to the day rows (one statement for the whole batch). */
  async addUsage(rows: UsageRow[]): Promise<void> {
    if (!rows.length) return;
    await this.db.query(
      `INSERT INTO usage_daily (org_id, day, unit, amount)
       SELECT $1, d::date, u, a FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t(d, u, a)
       ON CONFLICT (org_id, day, unit) DO UPDATE SET amount = usage_daily.amount + excluded.amount, updated_at = clock_timestamp()`,
      [this.db.context().orgId, rows.map((r) => r.day), rows.map((r) => r.unit), rows.map((r) => r.amount)],
    );
  }

  usage(from: string, to: string): Promise<UsageRow[]> {
    return this.db.query<UsageRow>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, unit, amount::float8 AS amount FROM usage_daily
        WHERE org_id = $1 AND day BETWEEN $2::date AND $3::date ORDER BY day, unit`,
      [this.db.context().orgId, from, to],
    );
  }

  /** Flushed usage of one unit from `from` (the month's first day) on: re-seeds a lost quota counter. */
  async since(from: string, unit: string): Promise<number> {
    const row = await this.db.one<{ amount: number }>(
      `SELECT coalesce(sum(amount), 0)::float8 AS amount FROM usage_daily WHERE org_id = $1 AND day >= $2::date AND unit = $3`,
      [this.db.context().orgId, from, unit],
    );
    return row?.amount ?? 0;
  }
}
