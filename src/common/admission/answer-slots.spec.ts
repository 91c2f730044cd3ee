import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { AnswerSlots, LargeAnswers } from './answer-slots.js';

const settled = () => new Promise((r) => setImmediate(r));

describe('AnswerSlots', () => {
  it("runs one answer per org at a time, the next in order once it is released; other orgs don't wait", async () => {
    const slots = new AnswerSlots(8);
    const order: string[] = [];
    const a1 = await slots.take('a');
    const a2 = slots.take('a').then((r) => (order.push('a2'), r));
    const a3 = slots.take('a').then((r) => (order.push('a3'), r));
    const b1 = await slots.take('b'); // another org: at once
    await settled();
    expect(order).toEqual([]);
    a1();
    a1(); // idempotent: releasing twice starts one more, not two
    const r2 = await a2;
    await settled();
    expect(order).toEqual(['a2']);
    r2();
    (await a3)();
    expect(order).toEqual(['a2', 'a3']);
    b1();
  });

  it('refuses past its bound of waiting answers per org (429 overloaded)', async () => {
    const slots = new AnswerSlots(2);
    const first = await slots.take('a');
    const waiting = [slots.take('a'), slots.take('a')];
    await expect(slots.take('a')).rejects.toMatchObject({ slug: 'overloaded' });
    await expect(slots.take('b')).resolves.toBeTypeOf('function');
    first();
    for (const w of waiting) (await w)();
  });
});

describe('LargeAnswers', () => {
  /** Builds `key`'s answer of `bytes`, written at once; resolves with when it was built (ms since `t0`). */
  const answer = async (answers: LargeAnswers, key: string, bytes: number, t0: number) => {
    let builtAt = -1;
    const stream = await answers.stream(key, bytes, async () => ((builtAt = performance.now() - t0), Readable.from([])));
    stream.resume(); // written: the slot is given back at close
    await new Promise((r) => stream.once('close', r));
    return builtAt;
  };

  it("paces an org's large answers to its bytes per second, one second's worth up front; another org is not paced", async () => {
    const answers = new LargeAnswers(100_000);
    const t0 = performance.now();
    const a1 = await answer(answers, 'a', 150_000, t0); // within the second's worth: at once
    // 'a' is 50,000 bytes in debt: its next answer waits for the refill (about 500 ms), 'b' does not
    const [a2, b1] = await Promise.all([answer(answers, 'a', 10, t0), answer(answers, 'b', 150_000, t0)]);
    expect(a2).toBeGreaterThanOrEqual(480);
    expect(a1).toBeLessThan(a2 - 400);
    expect(b1).toBeLessThan(a2 - 400);
  });

  it('with no budget (0) nothing waits', async () => {
    const answers = new LargeAnswers(0);
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await answer(answers, 'a', 10_000_000, t0);
    // paced at any rate up to 10 MB/s, the second and third would wait a second or more each
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
