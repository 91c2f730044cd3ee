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

  it('rejects forged cursors', () => {
    expect(() => decodeCursor(Buffer.from('yesterday|nope').toString('base64url'))).toThrow();
  });
});
