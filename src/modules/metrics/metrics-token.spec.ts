import { describe, expect, it } from 'vitest';
import { metricsTokenMatches } from './metrics-token.js';

describe(metricsTokenMatches.name, () => {
  const token = 'a-metrics-token-of-some-length';

  it('accepts exactly "Bearer <token>", the scheme in any case (RFC 9110 §11.1)', () => {
    expect(metricsTokenMatches(`Bearer ${token}`, token)).toBe(true);
    expect(metricsTokenMatches(`bearer ${token}`, token)).toBe(true);
    expect(metricsTokenMatches(`BEARER ${token}`, token)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without the scheme', token],
    ['another scheme', `Basic ${token}`],
    ['a double space', `bearer  ${token}`],
    ['a prefix of the token', `Bearer ${token.slice(0, -1)}`],
    ['the token plus a suffix', `Bearer ${token}x`],
    ['a repeated header', [`Bearer ${token}`, `Bearer ${token}`]],
  ])('refuses a header that is %s', (_what, header) => {
    expect(metricsTokenMatches(header as string | string[] | undefined, token)).toBe(false);
  });
});
