import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { LimitsConfig } from '../../config/slices.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { notFound } from '../../common/filters/problem.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { LimitsCache } from './limits.cache.js';
import { LimitsRepository, type OrgLimitsRow } from './limits.repository.js';
import {
  BUILTIN_DEFAULTS,
  ORG_CAPS,
  ORG_POLICIES,
  OrgCap,
  RATE_POLICIES,
  USAGE_UNITS,
  UsageUnit,
  type EffectiveLimits,
  type PolicyLimit,
  type StoredPolicies,
} from './limits.types.js';
import type { UpdateLimitsDto } from './dto/limits.dto.js';

/** Built-in defaults, then RATE_LIMIT_DEFAULTS, then RATE_LIMIT_DRY_RUN. */
export function defaultsFrom(limitsConfig: LimitsConfig): Record<RatePolicy, PolicyLimit> {
  const out = structuredClone(BUILTIN_DEFAULTS);
  const fromEnv = limitsConfig.defaults
    ? (JSON.parse(limitsConfig.defaults) as Record<string, Partial<PolicyLimit>>)
    : {};
  for (const p of RATE_POLICIES) Object.assign(out[p], pickPolicy(fromEnv[p]));
  for (const p of (limitsConfig.dryRun ?? '').split(','))
    if (p in out) out[p as RatePolicy].dry_run = true;
  return out;
}

function pickPolicy(v: unknown): Partial<PolicyLimit> {
  if (!v || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const out: Partial<PolicyLimit> = {};
  if (Number.isInteger(o.limit) && (o.limit as number) > 0) out.limit = o.limit as number;
  if (Number.isInteger(o.window_s) && (o.window_s as number) > 0) out.window_s = o.window_s as number;
  if (Number.isInteger(o.burst) && (o.burst as number) > 0) out.burst = o.burst as number;
  if (typeof o.dry_run === 'boolean') out.dry_run = o.dry_run;
  if (Number.isInteger(o.concurrency) && (o.concurrency as number) > 0)
    out.concurrency = o.concurrency as number;
  return out;
}

/** The platform's caps (LIMITS_MAX_*), under an org's own. */
export function capDefaultsFrom(limitsConfig: LimitsConfig): Record<OrgCap, number> {
  return {
    [OrgCap.StoredChunks]: limitsConfig.maxStoredChunks,
    [OrgCap.QueuedJobs]: limitsConfig.maxQueuedJobs,
    [OrgCap.StoredBytes]: limitsConfig.maxStoredBytes,
  };
}

/** Defaults with an org's stored overrides on top. */
export function effectiveOf(
  orgId: string,
  defaults: Record<RatePolicy, PolicyLimit>,
  row: OrgLimitsRow | undefined,
  capDefaults: Record<OrgCap, number>,
): EffectiveLimits {
  const stored = row?.policies ?? {};
  const policies = {} as EffectiveLimits['policies'];
  for (const p of RATE_POLICIES) {
    const o = pickPolicy(stored[p]);
    const merged = { ...defaults[p], ...o };
    // An org's own limit without its own burst: the bucket holds that limit.
    const burst = o.burst ?? (o.limit === undefined ? defaults[p].burst : undefined) ?? merged.limit;
    policies[p] = { ...merged, burst, source: Object.keys(o).length ? 'org' : 'default' };
  }
  const quotas = {} as EffectiveLimits['quotas'];
  const q = (stored.quotas ?? {}) as Record<string, unknown>;
  for (const u of USAGE_UNITS) quotas[u] = Number.isInteger(q[u]) ? (q[u] as number) : null;
  const job_rate = Number.isInteger(stored.job_rate) ? (stored.job_rate as number) : null;
  const c = (stored.caps ?? {}) as Record<string, unknown>;
  const caps = {} as EffectiveLimits['caps'];
  for (const k of ORG_CAPS) caps[k] = Number.isInteger(c[k]) ? (c[k] as number) : capDefaults[k];
  return { org_id: orgId, policies, quotas, job_concurrency: row?.job_concurrency ?? null, job_rate, caps };
}

/** Applies an admin update: given policies merge field by field, null resets to the default. */
export function mergeUpdate(row: OrgLimitsRow | undefined, body: UpdateLimitsDto): OrgLimitsRow {
  const policies: StoredPolicies = structuredClone(row?.policies ?? {});
  for (const p of ORG_POLICIES) {
    const v = body[p];
    if (v === undefined) continue;
    if (v === null) {
      delete policies[p];
      continue;
    }
    const merged: Partial<PolicyLimit> = {
      ...(policies[p] as Partial<PolicyLimit> | undefined),
      ...pickPolicy(v),
    };
    if (v.burst === null) delete merged.burst; // back to the default: the limit
    policies[p] = merged;
  }
  if (body.quotas !== undefined) {
    const quotas: Partial<Record<UsageUnit, number>> =
      body.quotas === null ? {} : { ...(policies.quotas ?? {}) };
    for (const u of USAGE_UNITS) {
      const v = body.quotas?.[u];
      if (v === null) delete quotas[u];
      else if (v !== undefined) quotas[u] = v;
    }
    if (Object.keys(quotas).length) policies.quotas = quotas;
    else delete policies.quotas;
  }
  if (body.caps !== undefined) {
    const caps: Partial<Record<OrgCap, number>> = body.caps === null ? {} : { ...(policies.caps ?? {}) };
    for (const k of ORG_CAPS) {
      const v = body.caps?.[k];
      if (v === null) delete caps[k];
      else if (v !== undefined) caps[k] = v;
    }
    if (Object.keys(caps).length) policies.caps = caps;
    else delete policies.caps;
  }
  if (body.job_rate === null) delete policies.job_rate;
  else if (body.job_rate !== undefined) policies.job_rate = body.job_rate;
  const job_concurrency =
    body.job_concurrency === undefined ? (row?.job_concurrency ?? null) : body.job_concurrency;
  return { policies, job_concurrency };
}

/**
 * Effective per-org limits, cached per instance (LimitsCache): an admin override applies on every
 * instance within a moment, and within LIMITS_CACHE_MS even if the message is lost.
 */
@Injectable()
export class LimitsService {
  private readonly log = new Logger(LimitsService.name);
  private readonly defaults: Record<RatePolicy, PolicyLimit>;
  private readonly capDefaults: Record<OrgCap, number>;
  /** The limits of a caller without an org (the `user` policy and the route policies' defaults). */
  readonly platform: EffectiveLimits;

  constructor(
    @Inject(LimitsConfig) limitsConfig: LimitsConfig,
    private readonly cache: LimitsCache,
    private readonly repo: LimitsRepository,
    private readonly tenants: TenantTransactions,
    private readonly cls: ClsService,
  ) {
    this.defaults = defaultsFrom(limitsConfig);
    this.capDefaults = capDefaultsFrom(limitsConfig);
    this.platform = effectiveOf('', this.defaults, undefined, this.capDefaults);
  }

  /** Runs fn in its own short transaction for `ctx`, leaving the caller's context untouched. */
  inOrg<T>(ctx: TenantContext, fn: () => Promise<T>): Promise<T> {
    return this.cls.run({ ifNested: 'inherit' }, () => this.tenants.run(ctx, fn));
  }

  /** Effective limits of the caller's org (cached). */
  async forTenant(t: TenantContext): Promise<EffectiveLimits> {
    const orgId = t.orgId!;
    try {
      return await this.cache.get(orgId, async () => {
        try {
          return effectiveOf(orgId, this.defaults, await this.inOrg(t, () => this.repo.get()), this.capDefaults);
        } catch (e) {
          this.log.warn(`org limits unreadable for ${orgId}: ${(e as Error).message}`);
          throw e;
        }
      });
    } catch {
      // Database trouble must not stop traffic: keep the last known limits, else the defaults.
      return this.cache.peek(orgId) ?? effectiveOf(orgId, this.defaults, undefined, this.capDefaults);
    }
  }

  /** GET /v1/admin/orgs/:orgId/limits: any org's effective limits, read as the super_admin with that org set. */
  async forOrg(actor: TenantContext, orgId: string): Promise<EffectiveLimits> {
    const ctx: TenantContext = { ...actor, orgId, role: null, isSuperAdmin: true };
    const row = await this.inOrg(ctx, async () => {
      if (!(await this.repo.orgExists(orgId))) throw notFound('org');
      return this.repo.get();
    });
    return effectiveOf(orgId, this.defaults, row, this.capDefaults);
  }

  /** PUT /v1/admin/orgs/:orgId/limits: runs as the super_admin with the target org set. */
  async update(actor: TenantContext, orgId: string, body: UpdateLimitsDto): Promise<EffectiveLimits> {
    const ctx: TenantContext = { ...actor, orgId, role: null, isSuperAdmin: true };
    const row = await this.inOrg(ctx, async () => {
      if (!(await this.repo.orgExists(orgId))) throw notFound('org');
      const merged = mergeUpdate(await this.repo.get(true), body);
      await this.repo.upsert(merged);
      return merged;
    });
    await this.cache.publish(orgId);
    return effectiveOf(orgId, this.defaults, row, this.capDefaults);
  }
}
