import { afterEach, describe, expect, it } from 'vitest';
import { FairPool } from './fair-pool.js';
import { EngineTimeoutError } from './fair-scheduler.js';

const WORKER = new URL('../../../test/fixtures/pool-worker.mjs', import.meta.url);

describe(FairPool.name, () => {
  let sut: FairPool;
  afterEach(() => sut.close());

  it('runs tasks in worker threads, never on the caller’s thread', async () => {
    sut = new FairPool({
      name: 'test',
      filename: WORKER,
      threads: 1,
      maxQueuedPerOrg: 10,
      timeoutMs: 10_000,
    });
    const { threadId } = await import('node:worker_threads');
    const id = await sut.run<number>('a', 'threadId', {});
    expect(id).not.toBe(threadId);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await expect(sut.run('a', 'spin', { ms: 200, tag: 'done' })).resolves.toBe('done');
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(5); // the event loop kept turning while the task ran
  });

  it('serves a second org between the first org’s tasks', async () => {
    sut = new FairPool({
      name: 'test',
      filename: WORKER,
      threads: 1,
      maxQueuedPerOrg: 10,
      timeoutMs: 10_000,
    });
    const order: string[] = [];
    const runs = [1, 2, 3].map((i) =>
      sut.run<string>('a', 'spin', { ms: 30, tag: `a${i}` }).then((t) => order.push(t)),
    );
    runs.push(sut.run<string>('b', 'spin', { ms: 30, tag: 'b1' }).then((t) => order.push(t)));
    await Promise.all(runs);
    expect(order.indexOf('b1')).toBeLessThanOrEqual(1);
  });

  it('terminates a task that overruns its time limit and frees its slot', async () => {
    sut = new FairPool({ name: 'test', filename: WORKER, threads: 1, maxQueuedPerOrg: 10, timeoutMs: 300 });
    await expect(sut.run('a', 'forever', {})).rejects.toBeInstanceOf(EngineTimeoutError);
    await expect(sut.run('b', 'spin', { ms: 1, tag: 'next' }, { timeoutMs: 10_000 })).resolves.toBe('next');
  });
});
