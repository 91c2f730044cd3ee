import { describe, expect, it } from 'vitest';
import { decodeCursor, pageOf } from './page.dto.js';

describe(pageOf.name, () => {
  const rows = [1, 2, 3].map((i) => ({ id: `0000000${i}-0000-4000-8000-000000000000`, created_at: `2026-01-0${i}T00:00:00.000001Z` }));

  it('returns a cursor only when another page exists, and the cursor decodes to the last row', () => {
    const sut = pageOf(rows, 2);
    expect(sut.data).toHaveLength(2);
    expect(decodeCursor(sut.next_cursor!)).toEqual({ createdAt: rows[1].created_at, id: rows[1].id });
    expect(pageOf(rows, 3).next_cursor).toBeNull();
  });

  it('emits microseconds for a Date too, so its cursor decodes', () => {
    const sut = pageOf([{ id: rows[0].id, created_at: new Date('2026-01-01T00:00:00.123Z') }, rows[1]], 1);
    expect(decodeCursor(sut.next_cursor!)).toEqual({ createdAt: '2026-01-01T00:00:00.123000Z', id: rows[0].id });
  });

  const id = rows[0].id;
  const enc = (s: string) => Buffer.from(s).toString('base64url');
  it.each([
    ['not a date', enc(`yesterday|${id}`)],
    ['not a uuid', enc('2026-01-01T00:00:00.000001Z|nope')],
    ['an offset', enc(`2026-01-01T00:00:00.000001+23:00|${id}`)],
    ['an offset without fraction', enc(`2026-01-01T00:00:00+23:00|${id}`)],
    ['milliseconds', enc(`2026-01-01T00:00:00.000Z|${id}`)],
    ['no zone', enc(`2026-01-01T00:00:00.000001|${id}`)],
    ['a space separator', enc(`2026-01-01 00:00:00.000001Z|${id}`)],
    ['no such day', enc(`2026-02-30T00:00:00.000001Z|${id}`)],
    ['hour 24', enc(`2026-01-01T24:00:00.000000Z|${id}`)],
    ['leap second', enc(`2026-12-31T23:59:60.000000Z|${id}`)],
    ['month 13', enc(`2026-13-01T00:00:00.000001Z|${id}`)],
    ['year 0', enc(`0000-01-01T00:00:00.000001Z|${id}`)],
    ['infinity', enc(`infinity|${id}`)],
    ['an upper-case uuid', enc("2026-01-01T00:00:00.000001Z|ABCDEF01-0000-4000-8000-000000000000")],
    ['a third part', enc(`2026-01-01T00:00:00.000001Z|${id}|x`)],
    ['a nul byte', enc(`2026-01-01T00:00:00.000001Z|${id}\u0000`)],
    ['non-canonical base64url', enc(`2026-01-01T00:00:00.000001Z|${id}`) + 'A'],
  ])('rejects a cursor with %s (400)', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
