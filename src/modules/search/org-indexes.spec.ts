import { describe, expect, it } from 'vitest';
import { formatCalibration, orgIndexName, parseCalibration, planOrgIndexes } from './org-indexes.js';

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
      calibrate: [],
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
    expect(grown).toEqual({
      create: [{ orgId: org(1), chunks: 20_000, kind: 'bits' }],
      drop: [],
      retire: [half(1)],
      calibrate: [], // only sign-bit indexes are measured
    });
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
    expect(shrunk).toEqual({
      create: [{ orgId: org(2), chunks: 9_999, kind: 'half' }],
      drop: [],
      retire: [bits(2)],
      calibrate: [{ orgId: org(1), chunks: 10_000, kind: 'bits' }],
    });
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
    expect(both).toEqual({
      create: [],
      drop: [half(3)],
      retire: [half(1)],
      calibrate: [{ orgId: org(1), chunks: 30_000, kind: 'bits' }],
    });
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
      calibrate: [],
    });
  });

  it('measures every kept sign-bit index once, and again when its org has doubled', () => {
    const cal = (chunks: number) =>
      formatCalibration({ kind: 'bits', candidates: 40, recall: 0.99, samples: 50, chunks });
    const plan = planOrgIndexes(
      [
        { orgId: org(1), chunks: 30_000 }, // no comment: never measured
        { orgId: org(2), chunks: 39_000 }, // measured at 20,000: under twice that
        { orgId: org(3), chunks: 40_000 }, // measured at 20,000: doubled
        { orgId: org(4), chunks: 3000 }, // half precision: never measured
      ],
      [
        { name: bits(1), valid: true, comment: null },
        { name: bits(2), valid: true, comment: cal(20_000) },
        { name: bits(3), valid: true, comment: cal(20_000) },
        { name: half(4), valid: true, comment: null },
      ],
      { ...opts, maxIndexes: 4 },
    );
    expect(plan.create).toEqual([]);
    expect(plan.calibrate).toEqual([
      { orgId: org(3), chunks: 40_000, kind: 'bits' },
      { orgId: org(1), chunks: 30_000, kind: 'bits' },
    ]);
  });

  it('an org whose sign bits missed the recall target keeps half precision until it has doubled', () => {
    const comment = formatCalibration({ kind: 'half', bitsRejectedAt: 30_000, recall: 0.912, samples: 50 });
    const existing = [{ name: half(1), valid: true, comment }];
    expect(planOrgIndexes([{ orgId: org(1), chunks: 59_999 }], existing, opts)).toMatchObject({
      create: [],
      retire: [],
      calibrate: [],
    });
    // doubled: sign bits are tried again (and the half-precision index serves until they hold)
    expect(planOrgIndexes([{ orgId: org(1), chunks: 60_000 }], existing, opts)).toMatchObject({
      create: [{ orgId: org(1), chunks: 60_000, kind: 'bits' }],
      retire: [half(1)],
      drop: [],
    });
  });

  it('reads back what it writes, and nothing else', () => {
    const b = { kind: 'bits', candidates: 40, recall: 0.9934, samples: 50, chunks: 100_000 } as const;
    expect(formatCalibration(b)).toBe('rocker-search candidates=40 recall=0.993 samples=50 chunks=100000');
    expect(parseCalibration(formatCalibration(b))).toEqual({ ...b, recall: 0.993 });
    const h = { kind: 'half', bitsRejectedAt: 90_000, recall: 0.9121, samples: 50 } as const;
    expect(formatCalibration(h)).toBe('rocker-search bits-rejected-at=90000 recall=0.912 samples=50');
    expect(parseCalibration(formatCalibration(h))).toEqual({ ...h, recall: 0.912 });
    for (const other of [null, '', 'an operator note', 'rocker-search candidates=40000 recall=1 samples=1 chunks=1'])
      expect(parseCalibration(other)).toBeNull();
  });
});
