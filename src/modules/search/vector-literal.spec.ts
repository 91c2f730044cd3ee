import { describe, expect, it } from 'vitest';
import pgvector from 'pgvector';
import { encodeVectors, packVectors, vectorsLiteral } from './vector-literal.js';

describe('vector literals', () => {
  it("is the text[] literal of each vector's pgvector literal, in order", () => {
    const vectors = [
      [0.5, -0.25, Math.fround(1e-8)],
      [Math.fround(0.1), 2, -3],
    ];
    const { count, literal } = encodeVectors(vectors);
    expect(count).toBe(2);
    expect(new TextDecoder().decode(literal)).toBe(`{${vectors.map((v) => `"${pgvector.toSql(v)}"`).join(',')}}`);
  });

  it('stores float4s: a double is carried as the float4 Postgres would have read from its own text', () => {
    const { flat } = packVectors([[0.1]]);
    expect(new TextDecoder().decode(vectorsLiteral(flat, 1, 1))).toBe(`{"[${Math.fround(0.1)}]"}`);
  });

  it('no vectors: an empty array; ragged vectors are refused', () => {
    expect(new TextDecoder().decode(encodeVectors([]).literal)).toBe('{}');
    expect(() => packVectors([[1, 2], [3]])).toThrow(/vector 1 has 1 dimensions, not 2/);
  });
});
