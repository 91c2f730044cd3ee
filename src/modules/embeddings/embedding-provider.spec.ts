import { describe, expect, it } from 'vitest';
import { embeddingUnits, textBatches } from './embedding-provider.js';

describe('textBatches', () => {
  it('bounds each batch by count and by characters, a longer text alone, in order', () => {
    const t = (n: number, c = 'x') => c.repeat(n);
    const texts = [t(10, 'a'), t(10, 'b'), t(10, 'c'), t(100, 'd'), t(10, 'e'), t(30, 'f'), t(30, 'g')];
    const out = textBatches(texts, 2, 50);
    expect(out).toEqual([[texts[0], texts[1]], [texts[2]], [texts[3]], [texts[4], texts[5]], [texts[6]]]);
    expect(out.flat()).toEqual(texts);
    for (const b of out) expect(b.length === 1 || (b.length <= 2 && b.join('').length <= 50)).toBe(true);
  });

  it('sixteen inputs of 4,000 characters are sixteen turns of the model, sixteen short ones one', () => {
    expect(textBatches(Array(16).fill('x'.repeat(4000)), 16, 4000)).toHaveLength(16);
    expect(textBatches(Array(16).fill('hello'), 16, 4000)).toHaveLength(1);
    expect(textBatches([], 16, 4000)).toEqual([]);
  });
});

describe('embeddingUnits', () => {
  it('counts one unit per started 1,000 characters, at least one per input', () => {
    expect(embeddingUnits([''])).toBe(1);
    expect(embeddingUnits(['a'.repeat(1000)])).toBe(1);
    expect(embeddingUnits(['a'.repeat(1001), 'b', 'c'.repeat(4000)])).toBe(2 + 1 + 4);
    expect(embeddingUnits([])).toBe(0);
  });
});
