import { describe, expect, it } from 'vitest';
import { jsonShapeViolation } from './json-body.js';

const limits = { maxDepth: 4, maxKeys: 3 };

describe(jsonShapeViolation.name, () => {
  it.each([
    ['flat object', '{"a":1,"b":[1,2,3]}'],
    ['depth at the limit', '[[[[1]]]]'],
    ['brackets and colons inside strings do not count', '{"a":"[[[[[[::::{{{{","b":"\\\\\\"[[[["}'],
    ['keys at the limit', '{"a":1,"b":{"c":2}}'],
    ['not JSON at all (left to the parser)', 'nope'],
  ])('accepts %s', (_name, text) => {
    expect(jsonShapeViolation(text, limits)).toBeNull();
  });

  it.each([
    ['too deep', '[[[[[1]]]]]', /nested deeper than 4/],
    ['too deep through objects', '[{"a":[{"b":{}}]}]', /nested deeper than 4/],
    ['too many keys', '{"a":1,"b":2,"c":3,"d":4}', /more than 3 keys/],
    ['an escaped quote does not end a string', '{"a":"x\\"","b":1,"c":2,"d":3}', /more than 3 keys/],
  ])('refuses %s', (_name, text, why) => {
    expect(jsonShapeViolation(text, limits)).toMatch(why);
  });

  it('judges a body larger than any limit without building anything from it', () => {
    expect(jsonShapeViolation('['.repeat(1_000_000), limits)).toMatch(/nested deeper than 4/);
    expect(jsonShapeViolation(`[${'"x",'.repeat(1_000_000)}1]`, limits)).toBeNull();
  });
});
