import { describe, expect, it } from 'vitest';
import { chunkText, segments, sentences } from './chunker.js';

const para = (n: number, prefix = 'S') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i} is a sentence about topic number ${i} with some words.`).join(' ');

describe(chunkText.name, () => {
  it('keeps a short text in one chunk and normalises whitespace', () => {
    expect(chunkText('Hello   world.\n  Second line here.')).toEqual(['Hello world. Second line here.']);
  });

  it('returns nothing for empty or blank text', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('  \n\n \t')).toEqual([]);
  });

  it('never exceeds the size limit and cuts only between sentences when it can', () => {
    const text = para(60);
    const sut = chunkText(text, { maxChars: 300, overlapChars: 80 });
    expect(sut.length).toBeGreaterThan(5);
    for (const c of sut) {
      expect(c.length).toBeLessThanOrEqual(300);
      expect(c).toMatch(/^S\d+ is/);
      expect(c).toMatch(/words\.$/);
    }
  });

  it('repeats the tail of a chunk at the start of the next (overlap), and loses no sentence', () => {
    const sut = chunkText(para(40), { maxChars: 250, overlapChars: 120 });
    for (let i = 1; i < sut.length; i++) {
      const prevLast = sentences(sut[i - 1], 250).at(-1)!;
      expect(sut[i].startsWith(prevLast) || sut[i].includes(prevLast)).toBe(true);
    }
    const all = new Set(sut.flatMap((c) => sentences(c, 250)));
    for (const s of sentences(para(40), 250)) expect(all.has(s)).toBe(true);
  });

  it('with no overlap, the chunks are a partition of the sentences', () => {
    const text = para(30);
    const sut = chunkText(text, { maxChars: 200, overlapChars: 0 });
    expect(sut.join(' ')).toBe(sentences(text, 200).join(' '));
  });

  it('splits an over-long sentence at word boundaries and a giant word hard', () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ') + '.';
    const sut = chunkText(long + ' ' + 'x'.repeat(250), { maxChars: 100, overlapChars: 20 });
    for (const c of sut) expect(c.length).toBeLessThanOrEqual(100);
    expect(sut.join(' ')).toContain('word0 word1');
    expect(sut.join('').replace(/[^x]/g, '').length).toBeGreaterThanOrEqual(250);
  });

  it('is deterministic', () => {
    const text = para(50) + '\n\n' + para(20, 'T');
    expect(chunkText(text, { maxChars: 333, overlapChars: 99 })).toEqual(chunkText(text, { maxChars: 333, overlapChars: 99 }));
  });

  it('treats a paragraph break as a sentence break', () => {
    const sut = chunkText('Title without dot\n\nBody sentence one. Body two.', { maxChars: 1000, overlapChars: 0 });
    expect(sut).toEqual(['Title without dot Body sentence one. Body two.']);
    expect(sentences('Title without dot\n\nBody sentence one.', 100)).toEqual(['Title without dot', 'Body sentence one.']);
  });

  it('refuses an overlap as large as the chunk', () => {
    expect(() => chunkText('a. b.', { maxChars: 10, overlapChars: 10 })).toThrow(RangeError);
  });
});

describe(segments.name, () => {
  const seg = new Intl.Segmenter('en', { granularity: 'sentence' });
  const onePass = (p: string) => [...seg.segment(p)].map((s) => s.segment);

  it('gives the same sentences as one pass, window by window', () => {
    const p = Array.from({ length: 300 }, (_, i) => `Sentence number ${i} is here. Is it? Yes!`).join(' ');
    expect([...segments(p, 500)]).toEqual(onePass(p));
    expect([...segments(p, 500)].join('')).toBe(p);
  });

  it('cuts a sentence longer than the window at a space, losing nothing', () => {
    const p = 'word '.repeat(400) + 'end. Next one.';
    const out = [...segments(p, 300)];
    expect(out.join('')).toBe(p);
    expect(out.every((s) => s.length <= 300)).toBe(true);
  });

  it('is linear: a 1 MB paragraph is segmented in seconds, not hours', () => {
    const p = 'Granite and basalt are rocks. Another sentence here, fairly long too. '.repeat(15_000);
    const t0 = performance.now();
    expect(chunkText(p).length).toBeGreaterThan(1000);
    expect(performance.now() - t0).toBeLessThan(30_000);
  }, 60_000);
});
