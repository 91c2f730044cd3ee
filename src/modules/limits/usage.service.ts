import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { LimitsConfig } from '../../config/slices.js';
import { badRequest, ProblemException } from '../../common/filters/problem.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { LimitsRepository, type UsageRow } from './limits.repository.js';
import { StoredBytesRepository } from './stored-bytes.repository.js';
import { LimitsService } from './limits.service.js';
import { RateLimitStorage } from './rate-limit.storage.js';
import { USAGE_UNITS, dayKey, monthKey, type UsageUnit } from './limits.types.js';
import type { UsageDto } from './dto/limits.dto.js';

const toRows = (m: Map<string, number>): UsageRow[] =>
  [...m].map(([k, amount]) => {
    const [day, unit] = k.split('|');
    return { day, unit, amount };
  });

/**
 * Metered usage: admitted cost is counted in Redis by the limiter's script and moved to Postgres
 * (usage_daily) in batches, every USAGE_FLUSH_MS and at shutdown, one transaction per org. Postgres
 * is the durable record: a quota counter Redis lost is re-seeded from it (monthToDate).
 */
@Injectable()
export class UsageService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger(UsageService.name);
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<number>;
  /** Month-to-date reads in flight: a burst of requests missing the same counter shares one query. */
  private readonly seeds = new Map<string, Promise<number>>();

  constructor(
    @Inject(LimitsConfig) private readonly limitsConfig: LimitsConfig,
    private readonly storage: RateLimitStorage,
    private readonly repo: LimitsRepository,
    private readonly limits: LimitsService,
    private readonly stored: StoredBytesRepository,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.limitsConfig.usageFlushMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch((e) =>
      this.log.error(`usage flush at shutdown failed: ${(e as Error).message}`),
    );
  }

  /**
   * Meters usage known only after the request (e.g. pages a crawl job actually fetched), without
   * a limit check: one Redis round trip, flushed with the rest.
   */
  async record(orgId: string, unit: UsageUnit, amount: number): Promise<void> {
    if (!(amount > 0)) return;
    const now = new Date();
    const quotaKey = this.storage.quotaKey(orgId, unit, monthKey(now));
    await this.storage.meter(orgId, `${dayKey(now)}|${unit}`, Math.ceil(amount), quotaKey);
  }

  /**
   * Background work (an ingest job) about to spend `amount` of `unit` for the org: refused with
   * `quota-exceeded` when that would pass the org's monthly quota (nothing is spent, and the job
   * can be retried once the month turns or the quota is raised). Metering happens when the work
   * commits (`record`), so a retry after a system failure is not charged twice.
   */
  async assertWithinQuota(ctx: TenantContext, unit: UsageUnit, amount: number): Promise<void> {
    const quota = (await this.limits.forTenant(ctx)).quotas[unit];
    if (quota === null || !(amount > 0)) return;
    const orgId = ctx.orgId!;
    const used =
      (await this.storage.quotaUsed(orgId, unit, monthKey(new Date()))) ??
      (await this.monthToDate(orgId, unit));
    if (used + amount > quota) {
      throw new ProblemException(
        429,
        'quota-exceeded',
        `the org's monthly ${unit} quota (${quota}) would be passed: ${used} used, ${amount} more needed`,
        {
          unit,
          quota,
          used,
        },
      );
    }
  }

  /**
   * The org's flushed usage of `unit` this UTC month (Postgres), read when Redis lost the quota
   * counter. Not kept once read: the counter holds it from then on, and a later loss needs a fresh figure.
   */
  monthToDate(orgId: string, unit: UsageUnit): Promise<number> {
    const now = new Date();
    const key = `${orgId}|${unit}|${monthKey(now)}`;
    let value = this.seeds.get(key);
    if (!value) {
      const from = `${dayKey(now).slice(0, 8)}01`;
      value = this.limits
        .inOrg(this.flushContext(orgId), () => this.repo.since(from, unit))
        .finally(() => this.seeds.delete(key));
      this.seeds.set(key, value);
    }
    return value;
  }

  private flushContext(orgId: string): TenantContext {
    return { requestId: `usage-${Date.now()}`, userId: null, orgId, role: null, isSuperAdmin: false };
  }

  /** Moves every pending count to Postgres; answers the number of orgs written. */
  flush(): Promise<number> {
    this.flushing ??= this.doFlush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async doFlush(): Promise<number> {
    let n = 0;
    for (const orgId of await this.storage.dirtyOrgs()) {
      const entries = await this.storage.drain(orgId);
      if (!entries.size) continue;
      try {
        await this.limits.inOrg(this.flushContext(orgId), () => this.repo.addUsage(toRows(entries)));
        n++;
      } catch (e) {
        this.storage.restore(orgId, entries);
        this.log.warn(`usage flush for ${orgId} failed, kept for the next one: ${(e as Error).message}`);
      }
    }
    return n;
  }

  /** GET /v1/org/usage: flushed rows plus what is still pending, per day and unit. */
  async report(t: TenantContext, from?: string, to?: string): Promise<UsageDto> {
    const today = dayKey();
    from ??= `${today.slice(0, 8)}01`;
    to ??= today;
    if (from > to) throw badRequest('from must not be after to', { from: ['must not be after to'] });
    if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000)
      throw badRequest('the range is at most 366 days', { to: ['range too long'] });
    const rows = await this.repo.usage(from, to);
    const merged = new Map(rows.map((r) => [`${r.day}|${r.unit}`, r.amount]));
    for (const [k, v] of await this.storage.pending(t.orgId!)) {
      const day = k.slice(0, 10);
      if (day >= from && day <= to) merged.set(k, (merged.get(k) ?? 0) + v);
    }
    const data = toRows(merged).sort((a, b) => a.day.localeCompare(b.day) || a.unit.localeCompare(b.unit));
    const totals = Object.fromEntries(USAGE_UNITS.map((u) => [u, 0])) as Record<string, number>;
    for (const r of data) totals[r.unit] += r.amount;
    return { from, to, data, totals, stored_bytes: await this.stored.used() };
  }
}
