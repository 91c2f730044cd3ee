import { describe, expect, it } from 'vitest';
import { AnswerSlots } from './answer-slots.js';

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
