import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FlagKey } from './flag-key.js';
import { evaluateAll, evaluateFlag, rolloutBucket } from './flags.evaluate.js';

/** 1,000 deterministic, uuid-shaped org ids (a fixed set, so the test never flakes). */
const orgIds = Array.from({ length: 1000 }, (_, i) => {
  const h = createHash('sha256').update(`org-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
});

const inAt = (percent: number, key = FlagKey.HybridSearch) =>
  new Set(orgIds.filter((id) => evaluateFlag(key, { default_enabled: false, rollout_percent: percent }, undefined, id)));

describe(evaluateFlag.name, () => {
  it('gives the same org the same answer at every call', () => {
    const settings = { default_enabled: false, rollout_percent: 30 };
    for (const id of orgIds.slice(0, 50)) {
      const first = evaluateFlag(FlagKey.HybridSearch, settings, undefined, id);
      for (let i = 0; i < 5; i++) expect(evaluateFlag(FlagKey.HybridSearch, settings, undefined, id)).toBe(first);
      expect(rolloutBucket(id.toUpperCase(), FlagKey.HybridSearch)).toBe(rolloutBucket(id, FlagKey.HybridSearch));
    }
  });

  it('puts roughly 30% of 1,000 orgs in at 30%', () => {
    const n = inAt(30).size;
    expect(n).toBeGreaterThanOrEqual(250);
    expect(n).toBeLessThanOrEqual(350);
  });

  it('keeps every org that was in when the percentage grows', () => {
    const at30 = inAt(30);
    const at50 = inAt(50);
    expect(at50.size).toBeGreaterThan(at30.size);
    for (const id of at30) expect(at50.has(id), id).toBe(true);
    expect(inAt(0).size).toBe(0);
    expect(inAt(100).size).toBe(1000);
  });

  it('rolls different flags out to different orgs', () => {
    const a = inAt(30, FlagKey.HybridSearch);
    const b = inAt(30, FlagKey.MarketPublish);
    expect([...a].filter((id) => !b.has(id)).length).toBeGreaterThan(50);
  });

  it('lets an override win over rollout and default', () => {
    const id = orgIds[0];
    expect(evaluateFlag(FlagKey.HybridSearch, { default_enabled: true, rollout_percent: 100 }, false, id)).toBe(false);
    expect(evaluateFlag(FlagKey.HybridSearch, { default_enabled: false, rollout_percent: 0 }, true, id)).toBe(true);
  });

  it('falls back to the default outside the rollout, and to the catalogue without a row', () => {
    const out = orgIds.find((id) => rolloutBucket(id, FlagKey.HybridSearch) >= 30)!;
    expect(evaluateFlag(FlagKey.HybridSearch, { default_enabled: true, rollout_percent: 30 }, undefined, out)).toBe(true);
    expect(evaluateFlag(FlagKey.HybridSearch, { default_enabled: false, rollout_percent: 30 }, undefined, out)).toBe(false);
    expect(evaluateFlag(FlagKey.HybridSearch, undefined, undefined, out)).toBe(false);
    expect(evaluateFlag(FlagKey.TtsStreaming, undefined, undefined, out)).toBe(true);
  });

  it('without an org: on only at 100% or by default', () => {
    expect(evaluateFlag(FlagKey.HybridSearch, { default_enabled: false, rollout_percent: 99 }, undefined, null)).toBe(false);
    expect(evaluateFlag(FlagKey.HybridSearch, { default_enabled: false, rollout_percent: 100 }, undefined, null)).toBe(true);
  });
});

describe(evaluateAll.name, () => {
  it('answers every known key, and only known keys', () => {
    const sut = evaluateAll(new Map([['retired_flag', { default_enabled: true, rollout_percent: 0 }]]), new Map([['hybrid_search', true]]), orgIds[1]);
    expect(Object.keys(sut).sort()).toEqual(Object.values(FlagKey).sort());
    expect(sut.hybrid_search).toBe(true);
  });
});
