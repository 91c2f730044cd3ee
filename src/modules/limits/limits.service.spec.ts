import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../config/env.js';
import { LimitsConfig } from '../../config/slices.js';
import { defaultsFrom, effectiveOf, mergeUpdate } from './limits.service.js';
import { msToMonthEnd, rateCost } from './limits.types.js';
import { RatePolicy } from '../../common/decorators/rate-limit.decorator.js';

const limits = (extra: Record<string, string> = {}) =>
  LimitsConfig.from(loadEnv(
    {
      DATABASE_URL: 'postgres://x@h/d',
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

  it('sets a burst, and null puts it back to the limit', () => {
    const withBurst = mergeUpdate(undefined, { search: { limit: 10, burst: 3 } });
    expect(withBurst.policies.search).toEqual({ limit: 10, burst: 3 });
    expect(mergeUpdate(withBurst, { search: { burst: null } }).policies.search).toEqual({ limit: 10 });
    const eff = effectiveOf('o', defaultsFrom(limits()), withBurst);
    expect(eff.policies.search).toMatchObject({ limit: 10, burst: 3, source: 'org' });
  });
});

describe(effectiveOf.name, () => {
  it('layers org overrides on the defaults and names the source', () => {
    const sut = effectiveOf('o', defaultsFrom(limits()), {
      policies: { embeddings: { limit: 7 }, quotas: { embedding_inputs: 3 } },
      job_concurrency: null,
    });
    expect(sut.policies.embeddings).toEqual({
      limit: 7,
      window_s: 60,
      burst: 7,
      dry_run: false,
      source: 'org',
    });
    expect(sut.job_rate).toBeNull();
    expect(
      effectiveOf('o', defaultsFrom(limits()), { policies: { job_rate: 4 }, job_concurrency: null }).job_rate,
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
      limits({ RATE_LIMIT_DEFAULTS: '{"crawl":{"limit":5,"window_s":10}}', RATE_LIMIT_DRY_RUN: 'crawl,ocr' }),
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
