import { describe, expect, it, vi } from 'vitest';
import { TurnBatcher } from './turn-batch.js';

describe(TurnBatcher.name, () => {
  it('one call per key for what is added in one turn, at most `max` items a call, in order', async () => {
    const run = vi.fn(async (items: string[]) => items.map((i) => i.toUpperCase()));
    const sut = new TurnBatcher(run, 3);
    const got = await Promise.all([
      sut.add('a', 'a1'),
      sut.add('b', 'b1'),
      sut.add('a', 'a2'),
      sut.add('a', 'a3'),
      sut.add('a', 'a4'),
    ]);
    expect(got).toEqual(['A1', 'B1', 'A2', 'A3', 'A4']);
    expect(run.mock.calls).toEqual([[['a1', 'a2', 'a3']], [['a4']], [['b1']]]);
    // the next turn's items go out in a call of their own
    await expect(sut.add('a', 'a5')).resolves.toBe('A5');
    expect(run).toHaveBeenCalledTimes(4);
  });

  it('a failed call fails its own items only; a short answer fails them too, never misplaces a result', async () => {
    const run = vi.fn(async (items: string[]) => {
      if (items.includes('boom')) throw new Error('redis timeout');
      if (items.includes('short')) return items.slice(1);
      return items;
    });
    const sut = new TurnBatcher(run, 10);
    const [boom, other, ok] = await Promise.allSettled([sut.add('a', 'boom'), sut.add('a', 'x'), sut.add('b', 'ok')]);
    expect(boom).toMatchObject({ status: 'rejected', reason: { message: 'redis timeout' } });
    expect(other).toMatchObject({ status: 'rejected', reason: { message: 'redis timeout' } });
    expect(ok).toEqual({ status: 'fulfilled', value: 'ok' });
    const short = await Promise.allSettled([sut.add('a', 'short'), sut.add('a', 'y')]);
    expect(short.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // a run that throws at once (not a rejected promise) fails its items the same way
    const throwing = new TurnBatcher<string, string>(() => {
      throw new Error('sync');
    }, 10);
    await expect(throwing.add('a', 'z')).rejects.toThrow('sync');
  });
});
