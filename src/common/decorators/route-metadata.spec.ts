import { describe, expect, it, vi } from 'vitest';
import { Reflector } from '@nestjs/core';
import { SetMetadata } from '@nestjs/common';
import { RouteMetadata } from './route-metadata.js';

@SetMetadata('k', 'class')
class Base {
  @SetMetadata('k', 'handler')
  a() {}
  b() {}
}
@SetMetadata('k', 'sub')
class Sub extends Base {}

describe(RouteMetadata.name, () => {
  it('answers what Reflector answers, per handler and class (an inherited handler under each of its classes), reading each once', () => {
    const sut = new RouteMetadata();
    const plain = new Reflector();
    const read = vi.spyOn(Reflect, 'getMetadata');
    const cases: [(...args: never[]) => unknown, typeof Base][] = [
      [Base.prototype.a, Base],
      [Base.prototype.b, Base],
      [Base.prototype.b, Sub],
      [Base.prototype.a, Sub],
    ];
    const first = cases.map(([h, c]) => sut.getAllAndOverride<string>('k', [h, c]));
    const reads = read.mock.calls.length;
    const again = cases.map(([h, c]) => sut.getAllAndOverride<string>('k', [h, c]));
    expect(read.mock.calls.length).toBe(reads); // memoised: no lookup the second time
    read.mockRestore();
    expect(first).toEqual(['handler', 'class', 'sub', 'handler']);
    expect(again).toEqual(first);
    expect(cases.map(([h, c]) => plain.getAllAndOverride<string>('k', [h, c]))).toEqual(first);
    // a key nobody set is memoised as undefined too, and other target lists are not memoised
    expect(sut.getAllAndOverride('none', [Base.prototype.a, Base])).toBeUndefined();
    expect(sut.getAllAndOverride('k', [Sub])).toBe('sub');
  });
});
