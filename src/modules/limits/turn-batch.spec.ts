import { describe, expect, it, vi } from 'vitest';
import { TurnBatcher } from './turn-batch.js';

/** A run whose calls answer when the test says so. */
function controlled() {
  const calls: { items: string[]; answer: (r?: string[]) => void; fail: (e: Error) => void }[] = [];
  const run = (items: string[]) =>
    new Promise<string[]>((resolve, reject) =>
      calls.push({ items, answer: (r) => resolve(r ?? items.map((i) => i.toUpperCase())), fail: reject }),
    );
  return { calls, run };
}
const turn = () => new Promise((r) => setImmediate(r));

describe(TurnBatcher.name, () => {
  it('one call per key for what is added in one turn, at most `max` items a call, in order', async () => {
    const run = vi.fn(async (items: string[]) => items.map((i) => i.toUpperCase()));
    const sut = new TurnBatcher(run, 3);
    const got = await Promise.all(['a1', 'b1', 'a2', 'a3', 'a4'].map((i) => sut.add(i[0], i)));
    expect(got).toEqual(['A1', 'B1', 'A2', 'A3', 'A4']);
    // a4 is past `max`: it goes when a's first call has answered
    expect(run.mock.calls).toEqual([[['a1', 'a2', 'a3']], [['b1']], [['a4']]]);
    await expect(sut.add('a', 'a5')).resolves.toBe('A5');
    expect(run).toHaveBeenCalledTimes(4);
  });

  it('one call per key in flight: what is added meanwhile goes out together when it answers; another key does not wait', async () => {
    const { calls, run } = controlled();
    const sut = new TurnBatcher(run, 64);
    const first = sut.add('a', 'a1');
    await turn();
    expect(calls.map((c) => c.items)).toEqual([['a1']]);
    const later = ['a2', 'a3'].map((i) => sut.add('a', i));
    await turn();
    const b = sut.add('b', 'b1');
    await turn();
    const later2 = sut.add('a', 'a4');
    await turn();
    // a2..a4 wait for a1's call; b's goes at once
    expect(calls.map((c) => c.items)).toEqual([['a1'], ['b1']]);
    calls[1].answer();
    await expect(b).resolves.toBe('B1');
    calls[0].answer();
    await expect(first).resolves.toBe('A1');
    await turn();
    expect(calls.map((c) => c.items)).toEqual([['a1'], ['b1'], ['a2', 'a3', 'a4']]);
    calls[2].answer();
    await expect(Promise.all([...later, later2])).resolves.toEqual(['A2', 'A3', 'A4']);
  });

  it('a failed call fails its items and those waiting behind it, never another key’s; a short answer fails too', async () => {
    const { calls, run } = controlled();
    const sut = new TurnBatcher(run, 64);
    const first = sut.add('a', 'a1');
    const other = sut.add('b', 'b1');
    await turn();
    const behind = sut.add('a', 'a2');
    await turn();
    calls[0].fail(new Error('redis timeout'));
    await expect(first).rejects.toThrow('redis timeout');
    await expect(behind).rejects.toThrow('redis timeout');
    calls[1].answer(['b1']);
    await expect(other).resolves.toBe('b1');
    // the key is free again
    const again = sut.add('a', 'a3');
    const short = sut.add('a', 'a4');
    await turn();
    calls[2].answer(['A3']);
    await expect(again).rejects.toThrow('batch of 2 answered 1 results');
    await expect(short).rejects.toThrow('batch of 2 answered 1 results');
    // a run that throws at once (not a rejected promise) fails its items the same way
    const throwing = new TurnBatcher<string, string>(() => {
      throw new Error('sync');
    }, 10);
    await expect(throwing.add('a', 'z')).rejects.toThrow('sync');
  });
});
