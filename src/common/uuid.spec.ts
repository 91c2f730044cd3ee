import { describe, expect, it } from 'vitest';
import { isUuid } from './uuid.js';
import { UuidPipe } from './pipes/uuid.pipe.js';

describe(isUuid.name, () => {
  it.each([
    ['lower case', 'b08ba915-a600-4f16-bad0-d6192c0c64ef', true],
    ['upper case', 'B08BA915-A600-4F16-BAD0-D6192C0C64EF', true],
    ['any version', '00000000-0000-0000-0000-000000000001', true],
    ['no dashes', 'b08ba915a6004f16bad0d6192c0c64ef', false],
    ['braces', '{b08ba915-a600-4f16-bad0-d6192c0c64ef}', false],
    ['trailing text', 'b08ba915-a600-4f16-bad0-d6192c0c64ef\n', false],
    ['not hex', 'g08ba915-a600-4f16-bad0-d6192c0c64ef', false],
    ['a number', 42, false],
    ['undefined', undefined, false],
  ])('%s', (_, value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});

describe(UuidPipe.name, () => {
  const sut = new UuidPipe();

  it('accepts either case and answers the lower-case form', () => {
    expect(sut.transform('B08BA915-A600-4F16-BAD0-D6192C0C64EF')).toBe(
      'b08ba915-a600-4f16-bad0-d6192c0c64ef',
    );
  });

  it('refuses anything else with a 400', () => {
    expect(() => sut.transform('not-a-uuid')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
