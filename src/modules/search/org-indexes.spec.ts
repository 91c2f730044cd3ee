import { describe, expect, it } from 'vitest';
import { orgIndexName, planOrgIndexes } from './org-indexes.js';

const org = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const opts = { minChunks: 1000, bitsMinChunks: 20_000, maxIndexes: 2 };
const half = (n: number) => orgIndexName(org(n), 'half');
const bits = (n: number) => orgIndexName(org(n), 'bits');

describe('planOrgIndexes', () => {
  it('names an index after the org id, and refuses anything that is not a uuid', () => {
    expect(half(1)).toBe('private_chunks_hnsw_org_00000000000040008000000000000001');
    expect(bits(1)).toBe('private_chunks_bq_org_00000000000040008000000000000001');
    expect(half(1).length).toBeLessThanOrEqual(63);
    expect(() => orgIndexName(`x'; DROP TABLE private_chunks; --`, 'half')).toThrow(/not an org id/);
  });

  it('creates for the largest orgs over the threshold, at most maxIndexes', () => {
    const plan = planOrgIndexes(
      [
        { orgId: org(1), chunks: 1200 },
        { orgId: org(2), chunks: 50_000 },
        { orgId: org(3), chunks: 3000 },
        { orgId: org(4), chunks: 900 }, // under the threshold, no index yet
      ],
      [],
      opts,
    );
    expect(plan.create).toEqual([
      { orgId: org(2), chunks: 50_000, kind: 'bits' }, // over bitsMinChunks: sign bits
      { orgId: org(3), chunks: 3000, kind: 'half' },
    ]);
    expect(plan.drop).toEqual([]);
  });

  it('keeps an index over half the threshold, drops it under, and drops what is invalid or unknown', () => {
    const existing = [
      { name: half(1), valid: true }, // 600: over half, kept
      { name: half(2), valid: true }, // gone from the sizes (under half): dropped
      { name: half(3), valid: false }, // failed build: dropped and built again
    ];
    const plan = planOrgIndexes(
      [
        { orgId: org(1), chunks: 600 },
        { orgId: org(3), chunks: 5000 },
      ],
      existing,
      opts,
    );
    expect(plan.drop).toEqual([half(2), half(3)]);
    expect(plan.create.map((s) => s.orgId)).toEqual([org(3)]);
  });

  it('a larger org takes the slot of a smaller one that has an index', () => {
    const plan = planOrgIndexes(
      [
        { orgId: org(1), chunks: 1500 },
        { orgId: org(2), chunks: 8000 },
        { orgId: org(3), chunks: 9000 },
      ],
      [{ name: half(1), valid: true }],
      opts,
    );
    expect(plan.create.map((s) => s.orgId)).toEqual([org(3), org(2)]);
    expect(plan.drop).toEqual([half(1)]);
  });

  it('maxIndexes 0 drops every index', () => {
    expect(
      planOrgIndexes([{ orgId: org(1), chunks: 5000 }], [{ name: half(1), valid: true }], {
        ...opts,
        maxIndexes: 0,
      }),
    ).toEqual({
      create: [],
      drop: [half(1)],
      retire: [],
    });
  });

  it('an org changes kind across bitsMinChunks, with the same hysteresis; the old index is retired after the build', () => {
    const existing = [
      { name: half(1), valid: true }, // grew to 20,000: sign bits built, then this one retired
      { name: half(2), valid: true }, // 19,999: stays
    ];
    const grown = planOrgIndexes(
      [
        { orgId: org(1), chunks: 20_000 },
        { orgId: org(2), chunks: 19_999 },
      ],
      existing,
      opts,
    );
    expect(grown).toEqual({ create: [{ orgId: org(1), chunks: 20_000, kind: 'bits' }], drop: [], retire: [half(1)] });
    // shrinking: sign bits kept down to half of the line, half precision again under it
    const shrunk = planOrgIndexes(
      [
        { orgId: org(1), chunks: 10_000 },
        { orgId: org(2), chunks: 9_999 },
      ],
      [
        { name: bits(1), valid: true },
        { name: bits(2), valid: true },
      ],
      opts,
    );
    expect(shrunk).toEqual({ create: [{ orgId: org(2), chunks: 9_999, kind: 'half' }], drop: [], retire: [bits(2)] });
    // a pass that stopped between the build and the retirement: the leftover goes now; an invalid build is dropped first
    const both = planOrgIndexes(
      [{ orgId: org(1), chunks: 30_000 }],
      [
        { name: half(1), valid: true },
        { name: bits(1), valid: true },
        { name: half(3), valid: false },
      ],
      opts,
    );
    expect(both).toEqual({ create: [], drop: [half(3)], retire: [half(1)] });
  });

  it('bitsMinChunks 0 means never: every org is half precision, and a sign-bit index is replaced', () => {
    const off = { ...opts, bitsMinChunks: 0 };
    expect(planOrgIndexes([{ orgId: org(1), chunks: 10_000_000 }], [], off).create).toEqual([
      { orgId: org(1), chunks: 10_000_000, kind: 'half' },
    ]);
    expect(planOrgIndexes([{ orgId: org(1), chunks: 90_000 }], [{ name: bits(1), valid: true }], off)).toEqual({
      create: [{ orgId: org(1), chunks: 90_000, kind: 'half' }],
      drop: [],
      retire: [bits(1)],
    });
  });
});
