import { describe, expect, it } from 'vitest';
import { JsonShapeScanner, jsonShapeViolation } from './json-body.js';

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

  it('judges a body fed in pieces exactly as the whole, wherever it is split (inside strings, escapes, UTF-8)', () => {
    const texts = [
      '{"a":"[[[[[::::\\\\\\"{{","b":"h\u00e9 \ud83c\udf89 [[[["}',
      '{"a":"x\\"","b":1,"c":2,"d":3}',
      '[[[[["\u00e9"]]]]]',
      '{"\u00e9":{"k":[{"z":"\\\\"}]}}',
    ].map((t) => JSON.stringify(JSON.parse(t)));
    for (const text of texts) {
      const whole = jsonShapeViolation(text, limits);
      const bytes = Buffer.from(text, 'utf8');
      for (let cut = 0; cut <= bytes.length; cut++) {
        const s = new JsonShapeScanner(limits);
        const v = s.feed(bytes.subarray(0, cut)) ?? s.feed(bytes.subarray(cut));
        expect(v, `${text} cut at ${cut}`).toBe(whole);
      }
    }
  });
});

