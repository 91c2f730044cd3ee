import { afterEach, describe, expect, it } from 'vitest';
import { EXTRA_WORK_NICE, FairPool, niceOfRank } from './fair-pool.js';
import { EngineStepError, EngineTimeoutError } from './fair-scheduler.js';

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
    // org b holds nothing: it starts now (on the spare thread), not behind a2 and a3. Asserted on
    // the scheduler, not on which task ends first: a spare thread that is still starting on a busy
    // machine can end b1 after a2 (CI, 2026-12-06).
    expect(sut.scheduler.stats().runningByOrg).toEqual({ a: 1, b: 1 });
    await Promise.all(runs);
    expect([...order].sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
  });

  it('terminates a task that overruns its time limit and frees its slot', async () => {
    sut = new FairPool({ name: 'test', filename: WORKER, threads: 1, maxQueuedPerOrg: 10, timeoutMs: 300 });
    await expect(sut.run('a', 'forever', {})).rejects.toBeInstanceOf(EngineTimeoutError);
    await expect(sut.run('b', 'spin', { ms: 1, tag: 'next' }, { timeoutMs: 10_000 })).resolves.toBe('next');
  });

  it('terminates a task whose one step runs past maxStepMs of CPU (EngineStepError, naming it); many steps, or a step that waits, may take longer', async () => {
    sut = new FairPool({ name: 'test', filename: WORKER, threads: 1, maxQueuedPerOrg: 10, timeoutMs: 30_000, maxStepMs: 300 });
    // ten steps of 100 ms of CPU: a second in all, each within the limit
    await expect(sut.run('a', 'steps', { steps: 10, spinMs: 100, tag: 'many' })).resolves.toBe('many');
    // a step of 800 ms asleep: CPU time is counted, not the wall clock's (a busy host's wait is not the input's)
    await expect(sut.run('a', 'steps', { steps: 1, sleepMs: 800, spinMs: 10, tag: 'asleep' })).resolves.toBe('asleep');
    // the third step spins for 5 s: its thread is terminated once it has run 300 ms (else: 'slow')
    const stopped = sut.run('a', 'steps', { steps: 3, spinMs: [50, 50, 5_000], tag: 'slow' });
    await expect(stopped).rejects.toBeInstanceOf(EngineStepError);
    await expect(stopped).rejects.toMatchObject({ status: 422, step: 3, limitMs: 300 });
    await expect(sut.run('b', 'spin', { ms: 1, tag: 'next' })).resolves.toBe('next'); // a fresh thread
  });

  it('runs an org’s second task at a lower priority than every org’s first, and gives a newcomer a spare thread at once', async () => {
    sut = new FairPool({ name: 'test', filename: WORKER, threads: 2, maxQueuedPerOrg: 10, timeoutMs: 10_000, nice: 3 });
    // org a holds both threads (its first at the engine's nice, its second EXTRA_WORK_NICE lower)
    const a0 = sut.run<number>('a', 'niceAfter', { ms: 400 });
    const a1 = sut.run<number>('a', 'niceAfter', { ms: 400 });
    expect(sut.scheduler.stats().running).toBe(2);
    // org b holds none: it starts now, on a spare thread, at the engine's nice
    const b0 = sut.run<number>('b', 'niceAfter', { ms: 0 });
    expect(sut.scheduler.stats().runningByOrg).toEqual({ a: 2, b: 1 });
    expect(await b0).toBe(3);
    expect((await Promise.all([a0, a1])).sort((x, y) => x - y)).toEqual([3, niceOfRank(3, 1)]);
    expect(niceOfRank(3, 1)).toBe(3 + EXTRA_WORK_NICE);
    expect(niceOfRank(15, 2)).toBe(19);
  });

  describe('runInTurns', () => {
    type Spun = { tag: string; heldMs: number };
    // three threads started at once: the slot's, the spare's and a newcomer's while one is held
    const turns = (turnMs: number, timeoutMs = 20_000) =>
      new FairPool({ name: 'test', filename: WORKER, threads: 1, maxQueuedPerOrg: 10, timeoutMs, turnMs, maxPaused: 2, warm: 3 });

    it('holds a long task in place while an org holding no thread waits, and lets it go on in its next turn', async () => {
      sut = turns(50);
      await expect.poll(() => sut.threads, { timeout: 10_000 }).toBe(3);
      const ended: string[] = [];
      const long = (org: string) =>
        sut.runInTurns<Spun>(org, 'spinInTurns', { ms: 1500, tag: org }).then((r) => (ended.push(org), r));
      // org a holds the thread, org b the spare: every slot is taken
      const a = long('a');
      const b = long('b');
      expect(sut.scheduler.stats().runningByOrg).toEqual({ a: 1, b: 1 });
      // org c holds none: one of them is held after its turn, and c's short task runs
      const c = sut.runInTurns<Spun>('c', 'spinInTurns', { ms: 100, tag: 'c' }).then((r) => (ended.push('c'), r));
      await expect(c).resolves.toEqual({ tag: 'c', heldMs: 0 });
      expect(ended).toEqual(['c']); // without turns c waits for a or b to end (1.5 s of work)
      const [ra, rb] = await Promise.all([a, b]);
      expect([ra.tag, rb.tag]).toEqual(['a', 'b']);
      // the thread of the task that gave way waited while c ran, and went on afterwards
      expect(Math.max(ra.heldMs, rb.heldMs)).toBeGreaterThan(0);
      expect(sut.held).toBe(0);
    });

    it('with turnMs 0, runs each task to its end: a third org waits for a whole task', async () => {
      sut = turns(0);
      const ended: string[] = [];
      const run = (org: string, ms: number) =>
        sut.runInTurns<Spun>(org, 'spinInTurns', { ms, tag: org }).then(() => ended.push(org));
      await Promise.all([run('a', 400), run('b', 400), run('c', 20)]);
      expect(ended.indexOf('c')).toBeGreaterThan(0);
    });

    it('terminates a held task at its time limit, counted from enqueue over its turns, and frees its place', async () => {
      sut = turns(50, 1500);
      const a = sut.runInTurns<Spun>('a', 'spinInTurns', { ms: 60_000, tag: 'a' });
      const b = sut.runInTurns<Spun>('b', 'spinInTurns', { ms: 60_000, tag: 'b' });
      a.catch(() => undefined);
      b.catch(() => undefined);
      // c keeps waiting orgs in line (its tasks one after another), so a and b give way in turns
      const c = (async () => {
        const deadline = performance.now() + 1400;
        let n = 0;
        while (performance.now() < deadline) {
          await sut.runInTurns('c', 'spinInTurns', { ms: 100, tag: 'c' });
          n++;
        }
        return n;
      })();
      const [ea, eb] = await Promise.all([a.catch((e: unknown) => e), b.catch((e: unknown) => e)]);
      for (const e of [ea, eb]) {
        expect(e).toBeInstanceOf(EngineTimeoutError);
        // its own running time, its turns' waits left out
        expect((e as EngineTimeoutError).ranMs).toBeLessThan(1500);
      }
      expect(await c).toBeGreaterThan(1);
      expect(sut.held).toBe(0);
      // every slot is free again: two orgs' tasks start at once
      await expect(
        Promise.all([sut.runInTurns('d', 'spinInTurns', { ms: 1, tag: 'd' }), sut.runInTurns('e', 'spinInTurns', { ms: 1, tag: 'e' })]),
      ).resolves.toHaveLength(2);
    });
  });

  it('starts its warm threads with the pool, before any task, and keeps them', async () => {
    sut = new FairPool({ name: 'test', filename: WORKER, threads: 1, maxQueuedPerOrg: 10, timeoutMs: 10_000, warm: 2 });
    const deadline = Date.now() + 10_000;
    while (sut.threads < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sut.threads).toBe(2);
    await expect(sut.run('a', 'spin', { ms: 1, tag: 'ok' })).resolves.toBe('ok');
    expect(sut.threads).toBe(2); // no thread started on demand
  });
});
