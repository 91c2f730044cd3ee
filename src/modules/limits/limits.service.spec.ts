import { describe, expect, it, vi } from 'vitest';
import type { ClsService } from 'nestjs-cls';
import { loadEnv } from '../../config/env.js';
import { LimitsConfig } from '../../config/slices.js';
import { InvalidatedCache } from '../../common/cache/invalidated-cache.js';
import type { TenantContext, TenantTransactions } from '../../tenancy/tenant-context.js';
import type { LimitsCache } from './limits.cache.js';
import type { LimitsRepository } from './limits.repository.js';
import { capDefaultsFrom, defaultsFrom, effectiveOf, LimitsService, mergeUpdate } from './limits.service.js';
import type { EffectiveLimits } from './limits.types.js';
import { msToMonthEnd, rateCost } from './limits.types.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';

const env = (extra: Record<string, string> = {}) =>
  LimitsConfig.from(loadEnv(
    {
      DATABASE_URL: 'postgres://x@h/d', DATABASE_WORKER_URL: 'postgres://x@h/d', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
      REDIS_URL: 'redis://h',
      JWT_SECRET: 'x'.repeat(32),
      METRICS_TOKEN: 'x'.repeat(16),
      ...extra,
    },
    '/nonexistent',
  ));

describe(mergeUpdate.name, () => {
  it('merges given fields, keeps omitted policies, resets on null', () => {
    const row = {
      policies: { tts: { limit: 100, window_s: 10 }, embeddings: { limit: 5 }, quotas: { ocr_pages: 9 } },
      job_concurrency: 3,
    };
    const sut = mergeUpdate(row, {
      tts: { limit: 50 },
      embeddings: null,
      quotas: { tts_characters: 1000, ocr_pages: null },
    });
    expect(sut).toEqual({
      policies: { tts: { limit: 50, window_s: 10 }, quotas: { tts_characters: 1000 } },
      job_concurrency: 3,
    });
    expect(mergeUpdate(row, { job_concurrency: null }).job_concurrency).toBeNull();
    const rated = mergeUpdate(row, { job_rate: 7 });
    expect(rated.policies.job_rate).toBe(7);
    expect(mergeUpdate(rated, { tts: null }).policies.job_rate).toBe(7); // omitted: kept
    expect(mergeUpdate(rated, { job_rate: null }).policies).not.toHaveProperty('job_rate');
    expect(row.policies.tts.limit).toBe(100); // input untouched
  });

  it('caps: given ones merge over the platform defaults, null puts the default back', () => {
    const capped = mergeUpdate(undefined, { caps: { queued_jobs: 3 } });
    expect(capped.policies.caps).toEqual({ queued_jobs: 3 });
    const defaults = capDefaultsFrom(env({ LIMITS_MAX_STORED_CHUNKS: '500' }));
    expect(effectiveOf('o', defaultsFrom(env()), capped, defaults).caps).toEqual({ queued_jobs: 3, stored_chunks: 500, stored_bytes: 10 * 1024 ** 3 });
    const both = mergeUpdate(capped, { caps: { stored_chunks: 9 } });
    expect(both.policies.caps).toEqual({ queued_jobs: 3, stored_chunks: 9 });
    expect(mergeUpdate(both, { caps: { queued_jobs: null } }).policies.caps).toEqual({ stored_chunks: 9 });
    expect(mergeUpdate(both, { caps: null }).policies).not.toHaveProperty('caps');
  });

  it('sets a burst, and null puts it back to the limit', () => {
    const withBurst = mergeUpdate(undefined, { search: { limit: 10, burst: 3 } });
    expect(withBurst.policies.search).toEqual({ limit: 10, burst: 3 });
    expect(mergeUpdate(withBurst, { search: { burst: null } }).policies.search).toEqual({ limit: 10 });
    const eff = effectiveOf('o', defaultsFrom(env()), withBurst, capDefaultsFrom(env()));
    expect(eff.policies.search).toMatchObject({ limit: 10, burst: 3, source: 'org' });
  });
});

describe(effectiveOf.name, () => {
  it('layers org overrides on the defaults and names the source', () => {
    const sut = effectiveOf(
      'o',
      defaultsFrom(env()),
      { policies: { embeddings: { limit: 7 }, quotas: { embedding_inputs: 3 } }, job_concurrency: null },
      capDefaultsFrom(env()),
    );
    expect(sut.policies.embeddings).toEqual({
      limit: 7,
      window_s: 60,
      burst: 7,
      dry_run: false,
      source: 'org',
    });
    expect(sut.job_rate).toBeNull();
    expect(
      effectiveOf('o', defaultsFrom(env()), { policies: { job_rate: 4 }, job_concurrency: null }, capDefaultsFrom(env())).job_rate,
    ).toBe(4);
    expect(sut.policies.tts).toMatchObject({
      limit: 600,
      window_s: 60,
      burst: 600,
      concurrency: 4,
      source: 'default',
    });
    expect(sut.policies.search).toMatchObject({ limit: 600, window_s: 60, source: 'default' });
    expect(sut.policies.user).toMatchObject({ limit: 60, window_s: 60, source: 'default' });
    expect(sut.quotas).toEqual({
      tts_characters: null,
      embedding_inputs: 3,
      crawled_pages: null,
      ocr_pages: null,
    });
  });

  it('reads RATE_LIMIT_DEFAULTS and RATE_LIMIT_DRY_RUN', () => {
    const d = defaultsFrom(
      env({ RATE_LIMIT_DEFAULTS: '{"crawl":{"limit":5,"window_s":10}}', RATE_LIMIT_DRY_RUN: 'crawl,ocr' }),
    );
    expect(d.crawl).toEqual({ limit: 5, window_s: 10, dry_run: true });
    expect(d.ocr.dry_run).toBe(true);
    expect(d.api.dry_run).toBe(false);
  });
});

describe(rateCost.name, () => {
  it('costs a batch by its size and TTS by blocks of 100 characters', () => {
    expect(rateCost(RatePolicy.Embeddings, 100)).toBe(100);
    expect(rateCost(RatePolicy.Tts, 1)).toBe(1);
    expect(rateCost(RatePolicy.Tts, 1000)).toBe(10);
    expect(rateCost(RatePolicy.Tts, 1001)).toBe(11);
    expect(rateCost(RatePolicy.Crawl, 0)).toBe(1);
  });

  it('ends a quota window at the next UTC month', () => {
    expect(msToMonthEnd(new Date(Date.UTC(2026, 10, 30, 23, 59, 59)))).toBe(1000);
  });
});

describe(LimitsService.name, () => {
  const ctx: TenantContext = {
    requestId: 'r',
    userId: 'u',
    orgId: 'o1',
    role: 'member',
    isSuperAdmin: false,
  };

  function make() {
    let now = 0;
    const events: string[] = [];
    const cache = new InvalidatedCache<EffectiveLimits>(
      {
        subscribe: () => () => undefined, // never connected: 'ttl' mode caches anyway
        publish: async (t) => void events.push(`publish:${String(t)}`),
      },
      { name: 'limits', ttlMs: 1000, maxEntries: 10, whenDown: 'ttl', now: () => now },
    );
    const repo = {
      get: vi.fn(async () => ({ policies: { embeddings: { limit: 7 } }, job_concurrency: null })),
      orgExists: vi.fn(async () => true),
      upsert: vi.fn(async () => void events.push('upsert')),
    };
    const tenants = { run: vi.fn((_c: TenantContext, fn: () => Promise<unknown>) => fn()) };
    const cls = { run: vi.fn((_o: unknown, fn: () => unknown) => fn()) };
    const sut = new LimitsService(
      env(),
      cache as LimitsCache,
      repo as unknown as LimitsRepository,
      tenants as unknown as TenantTransactions,
      cls as unknown as ClsService,
    );
    return { sut, repo, events, advance: (ms: number) => (now += ms) };
  }

  it('reads an org once per TTL, and concurrent callers share one read', async () => {
    const { sut, repo, advance } = make();
    const [a, b] = await Promise.all([sut.forTenant(ctx), sut.forTenant(ctx)]);
    expect(a.policies.embeddings.limit).toBe(7);
    expect(b).toBe(a);
    await sut.forTenant(ctx);
    expect(repo.get).toHaveBeenCalledTimes(1);
    advance(1000);
    await sut.forTenant(ctx);
    expect(repo.get).toHaveBeenCalledTimes(2);
  });

  it('keeps the last known limits when the database fails, else the defaults; never throws', async () => {
    const { sut, repo, advance } = make();
    repo.get.mockRejectedValueOnce(new Error('db down'));
    await expect(sut.forTenant(ctx)).resolves.toMatchObject({
      policies: { embeddings: { source: 'default' } },
    });
    await sut.forTenant(ctx);
    advance(1000);
    repo.get.mockRejectedValueOnce(new Error('db down'));
    await expect(sut.forTenant(ctx)).resolves.toMatchObject({ policies: { embeddings: { limit: 7 } } });
  });

  it('an update publishes the change after it is written, and the next read is fresh', async () => {
    const { sut, repo, events } = make();
    await sut.forTenant(ctx);
    await sut.update(ctx, 'o1', { embeddings: { limit: 3 } });
    expect(events).toEqual(['upsert', 'publish:o1']);
    await sut.forTenant(ctx);
    expect(repo.get).toHaveBeenCalledTimes(3); // first read, the update's own read, the fresh read
  });
});
