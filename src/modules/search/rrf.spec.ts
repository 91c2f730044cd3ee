import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, RRF_K } from './rrf.js';

describe(reciprocalRankFusion.name, () => {
  const id = (s: string) => s;

  it('ranks an item found by both lists above items found by one', () => {
    const sut = reciprocalRankFusion([['a', 'b', 'c'], ['d', 'c', 'e']], id);
    expect(sut[0]).toEqual({ item: 'c', score: 1 / (RRF_K + 3) + 1 / (RRF_K + 2) });
    expect(sut.map((r) => r.item)).toEqual(['c', 'a', 'd', 'b', 'e']);
  });

  it('is deterministic on ties (first appearance wins) and handles empty lists', () => {
    expect(reciprocalRankFusion([['x', 'y'], []], id).map((r) => r.item)).toEqual(['x', 'y']);
    expect(reciprocalRankFusion([[], []], id)).toEqual([]);
  });
});
