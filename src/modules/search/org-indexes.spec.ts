import { describe, expect, it } from 'vitest';
import { orgIndexName, planOrgIndexes } from './org-indexes.js';

const org = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const opts = { minChunks: 1000, maxIndexes: 2 };

describe('planOrgIndexes', () => {
  it('names an index after the org id, and refuses anything that is not a uuid', () => {
    expect(orgIndexName(org(1))).toBe('private_chunks_hnsw_org_00000000000040008000000000000001');
    expect(orgIndexName(org(1)).length).toBeLessThanOrEqual(63);
    expect(() => orgIndexName(`x'; DROP TABLE private_chunks; --`)).toThrow(/not an org id/);
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
    expect(plan.create.map((s) => s.orgId)).toEqual([org(2), org(3)]);
    expect(plan.drop).toEqual([]);
  });

  it('keeps an index over half the threshold, drops it under, and drops what is invalid or unknown', () => {
    const existing = [
      { name: orgIndexName(org(1)), valid: true }, // 600: over half, kept
      { name: orgIndexName(org(2)), valid: true }, // gone from the sizes (under half): dropped
      { name: orgIndexName(org(3)), valid: false }, // failed build: dropped and built again
    ];
    const plan = planOrgIndexes(
      [
        { orgId: org(1), chunks: 600 },
        { orgId: org(3), chunks: 5000 },
      ],
      existing,
      opts,
    );
    expect(plan.drop).toEqual([orgIndexName(org(2)), orgIndexName(org(3))]);
    expect(plan.create.map((s) => s.orgId)).toEqual([org(3)]);
  });

  it('a larger org takes the slot of a smaller one that has an index', () => {
    const plan = planOrgIndexes(
      [
        { orgId: org(1), chunks: 1500 },
        { orgId: org(2), chunks: 8000 },
        { orgId: org(3), chunks: 9000 },
      ],
      [{ name: orgIndexName(org(1)), valid: true }],
      opts,
    );
    expect(plan.create.map((s) => s.orgId)).toEqual([org(3), org(2)]);
    expect(plan.drop).toEqual([orgIndexName(org(1))]);
  });

  it('maxIndexes 0 drops every index', () => {
    expect(
      planOrgIndexes([{ orgId: org(1), chunks: 5000 }], [{ name: orgIndexName(org(1)), valid: true }], {
        ...opts,
        maxIndexes: 0,
      }),
    ).toEqual({
      create: [],
      drop: [orgIndexName(org(1))],
    });
  });
});
