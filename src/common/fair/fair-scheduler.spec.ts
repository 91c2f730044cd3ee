import { describe, expect, it, vi } from 'vitest';
import { EngineBusyError, EngineTimeoutError, FairScheduler, RESUME_AGE_MS, WorkClass, type Turn } from './fair-scheduler.js';

/** Work that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

describe(FairScheduler.name, () => {
  it('runs work at once while slots are free, and an org alone may use every slot', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 3, maxQueuedPerOrg: 10 });
    const g = gate();
    const runs = [1, 2, 3].map(() => sut.run('a', () => g.p));
    expect(sut.stats()).toEqual({ running: 3, waiting: {}, runningByOrg: { a: 3 } });
    g.open();
    await Promise.all(runs);
    expect(sut.stats()).toEqual({ running: 0, waiting: {}, runningByOrg: {} });
  });

  it('serves a quiet org next, ahead of the busy org’s backlog', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 100 });
    const order: string[] = [];
    const first = gate();
    const busy = [sut.run('a', () => first.p.then(() => order.push('a0')))];
    for (let i = 1; i <= 5; i++) busy.push(sut.run('a', async () => order.push(`a${i}`)));
    const quiet = sut.run('b', async () => order.push('b0'));
    first.open();
    await Promise.all([...busy, quiet]);
    expect(order.slice(0, 2)).toEqual(['a0', 'b0']);
  });

  it('alternates orgs with equal backlogs (round-robin)', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 100 });
    const order: string[] = [];
    const first = gate();
    const all = [sut.run('x', () => first.p)];
    for (let i = 0; i < 3; i++) all.push(sut.run('a', async () => void order.push('a')));
    for (let i = 0; i < 3; i++) all.push(sut.run('b', async () => void order.push('b')));
    first.open();
    await Promise.all(all);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('gives a freed slot to the org holding the fewest: one org holds at most its share while others wait', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 4, maxQueuedPerOrg: 100 });
    const gates = [gate(), gate(), gate(), gate()];
    const a = gates.map((g) => sut.run('a', () => g.p));
    const more = [
      sut.run('a', () => new Promise<void>(() => undefined)),
      sut.run('a', () => new Promise<void>(() => undefined)),
    ];
    void more;
    const b = [gate(), gate()];
    const bRuns = b.map((g) => sut.run('b', () => g.p));
    gates[0].open();
    gates[1].open();
    await Promise.all([a[0], a[1]]);
    // both freed slots went to b, though a queued first
    expect(sut.stats().runningByOrg).toEqual({ a: 2, b: 2 });
    b.forEach((g) => g.open());
    await Promise.all(bRuns);
    expect(sut.stats().runningByOrg).toEqual({ a: 4 });
  });

  it('runs request work before job work', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 100 });
    const order: string[] = [];
    const first = gate();
    const all = [sut.run('x', () => first.p)];
    all.push(sut.run('a', async () => void order.push('job'), { cls: WorkClass.Job }));
    all.push(sut.run('b', async () => void order.push('request'), { cls: WorkClass.Request }));
    first.open();
    await Promise.all(all);
    expect(order).toEqual(['request', 'job']);
  });

  it('refuses past an org’s queue bound with 429 overloaded and Retry-After, without touching other orgs', async () => {
    const sut = new FairScheduler({ name: 'ocr', slots: 1, maxQueuedPerOrg: 2 });
    const g = gate();
    const held = sut.run('a', () => g.p);
    const queued = [sut.run('a', () => g.p), sut.run('a', () => g.p)];
    const refused = sut.run('a', () => g.p);
    await expect(refused).rejects.toBeInstanceOf(EngineBusyError);
    const err = (await refused.catch((e: unknown) => e)) as EngineBusyError;
    expect(err.getStatus()).toBe(429);
    expect(err.slug).toBe('overloaded');
    expect(Number(err.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    const other = sut.run('b', () => g.p); // b's own queue is empty: accepted
    g.open();
    await Promise.all([held, ...queued, other]);
  });

  it('counts the time limit from enqueue: work that waits too long fails without running', async () => {
    const sut = new FairScheduler({ name: 'pdf', slots: 1, maxQueuedPerOrg: 10, timeoutMs: 50 });
    const g = gate();
    const held = sut.run('a', () => g.p, { timeoutMs: 10_000 });
    let ran = false;
    const late = sut.run('b', async () => void (ran = true));
    await expect(late).rejects.toBeInstanceOf(EngineTimeoutError);
    await expect(late).rejects.toMatchObject({ ranMs: undefined }); // never started: the engine was busy
    expect(sut.stats().waiting).toEqual({});
    g.open();
    await held;
    expect(ran).toBe(false);
  });

  it('a wait past maxWaitMs is the org’s own excess (429) when it holds its share of the slots, the engine’s (503) when it holds less', async () => {
    const sut = new FairScheduler({ name: 'db', slots: 2, maxQueuedPerOrg: 10 });
    const g = gate();
    const held = [sut.run('a', () => g.p), sut.run('a', () => g.p)];
    // a holds both slots and waits behind its own work
    const own = sut.run('a', async () => 'ran', { maxWaitMs: 20 });
    // b holds none and waits behind a's
    const other = sut.run('b', async () => 'ran', { maxWaitMs: 20 });
    const [ownErr, otherErr] = await Promise.all([own.catch((e) => e), other.catch((e) => e)]);
    expect(ownErr).toBeInstanceOf(EngineBusyError);
    expect(ownErr).toMatchObject({ status: 429, slug: 'overloaded' });
    expect(Number((ownErr as EngineBusyError).headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(otherErr).toBeInstanceOf(EngineTimeoutError);
    expect(otherErr).toMatchObject({ status: 503, slug: 'engine-timeout' });
    g.open();
    await Promise.all(held);
    expect(sut.stats()).toEqual({ running: 0, waiting: {}, runningByOrg: {} });
  });

  it('a timed-out call keeps its slot until its work settles, so the engine is never over-committed', async () => {
    const sut = new FairScheduler({ name: 'embeddings', slots: 1, maxQueuedPerOrg: 10 });
    const g = gate();
    let aborted = false;
    const slow = sut.run(
      'a',
      (signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return g.p;
      },
      { timeoutMs: 20 },
    );
    await expect(slow).rejects.toBeInstanceOf(EngineTimeoutError);
    // it ran for (about) the whole limit: the work itself was too slow
    expect(((await slow.catch((e: unknown) => e)) as EngineTimeoutError).ranMs).toBeGreaterThanOrEqual(15);
    expect(aborted).toBe(true);
    expect(sut.stats().running).toBe(1);
    const next = sut.run('b', async () => 'ok');
    g.open();
    await expect(next).resolves.toBe('ok');
    expect(sut.stats().running).toBe(0);
  });

  it('an aborted wait leaves the queue, and the caller’s signal reaches the work', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 10 });
    const g = gate();
    const held = sut.run('a', () => g.p);
    const ac = new AbortController();
    const waiting = sut.run('b', async () => 'never', { signal: ac.signal });
    expect(sut.stats().waiting).toEqual({ b: 1 });
    ac.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    expect(sut.stats().waiting).toEqual({});
    g.open();
    await held;
  });

  it('gives a request of an org holding none a spare slot at once, never to a job or to the org holding the slots', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 2, maxQueuedPerOrg: 10, spare: 1 });
    const g = gate();
    const ranks: Record<string, number[]> = {};
    const work = (key: string) => (_s: AbortSignal, rank: number) => {
      (ranks[key] ??= []).push(rank);
      return g.p;
    };
    const busy = [sut.run('a', work('a')), sut.run('a', work('a')), sut.run('a', work('a'))];
    expect(sut.stats()).toEqual({ running: 2, waiting: { a: 1 }, runningByOrg: { a: 2 } });
    const job = sut.run('c', work('c'), { cls: WorkClass.Job });
    const quiet = sut.run('b', work('b'));
    expect(sut.stats()).toEqual({ running: 3, waiting: { a: 1, c: 1 }, runningByOrg: { a: 2, b: 1 } });
    // the spare is taken: a second newcomer waits its turn
    const late = sut.run('d', work('d'));
    expect(sut.stats().waiting).toEqual({ a: 1, c: 1, d: 1 });
    g.open();
    await Promise.all([...busy, job, quiet, late]);
    expect(ranks).toEqual({ a: [0, 1, 0], b: [0], c: [0], d: [0] });
  });

  it('raises the turn flags of the org holding the most slots while an org holding none waits, and lowers them once none does', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 2, maxQueuedPerOrg: 10, spare: 1 });
    const g = gate();
    const turns: Turn[] = [];
    const hold = (key: string) => sut.run(key, (_s, _r, t) => (turns.push(t!), g.p), { yieldable: true });
    const held = [hold('a'), hold('a'), hold('b')]; // b on the spare
    const flags = () => turns.map((t) => Atomics.load(t.flag, 0));
    expect(flags()).toEqual([0, 0, 0]);
    // more of a's and b's own work waiting: both hold slots, no reason to give way
    const own = [sut.run('a', async () => undefined), sut.run('b', async () => undefined)];
    expect(flags()).toEqual([0, 0, 0]);
    const ac = new AbortController();
    const other = sut.run('c', async () => undefined, { signal: ac.signal });
    expect(flags()).toEqual([1, 1, 0]);
    ac.abort(new Error('gone'));
    await expect(other).rejects.toThrow('gone');
    expect(flags()).toEqual([0, 0, 0]);
    g.open();
    await Promise.all([...held, ...own]);
  });

  it('a job gives way to another org’s waiting request even when that org holds as many slots; a request never gives way to a job', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 2, maxQueuedPerOrg: 10 });
    const g = gate();
    const turns: Record<string, Turn> = {};
    const job = sut.run('a', (_s, _r, t) => ((turns.job = t!), g.p), { yieldable: true, cls: WorkClass.Job });
    const req = sut.run('b', (_s, _r, t) => ((turns.req = t!), g.p), { yieldable: true });
    const waitingJob = sut.run('c', async () => undefined, { cls: WorkClass.Job });
    // c holds nothing: a's job gives way to it (same class, fewer slots), b's request does not
    expect([Atomics.load(turns.job.flag, 0), Atomics.load(turns.req.flag, 0)]).toEqual([1, 0]);
    const waitingReq = sut.run('b', async () => undefined);
    expect([Atomics.load(turns.job.flag, 0), Atomics.load(turns.req.flag, 0)]).toEqual([1, 0]);
    g.open();
    await Promise.all([job, req, waitingJob, waitingReq]);
  });

  it('a resumed turn goes ahead of its org’s waiting work and past its queue bound, behind the org it gave way to', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 2 });
    const order: string[] = [];
    const first = gate();
    const all = [sut.run('a', () => first.p, { yieldable: true })];
    for (let i = 1; i <= 2; i++) all.push(sut.run('a', async () => void order.push(`a${i}`)));
    all.push(sut.run('b', async () => void order.push('b')));
    await expect(sut.run('a', async () => 'over the bound')).rejects.toBeInstanceOf(EngineBusyError);
    // a's first work yields: its continuation is queued as it ends
    all.push(sut.run('a', async () => void order.push('a0 resumed'), { resume: true }));
    first.open();
    await Promise.all(all);
    expect(order).toEqual(['b', 'a0 resumed', 'a1', 'a2']);
  });

  it('hands a freed spare slot to a waiting newcomer’s request', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 10, spare: 1 });
    const held = gate();
    const spare = gate();
    const busy = sut.run('a', () => held.p);
    const b = sut.run('b', () => spare.p); // the spare slot
    const c = sut.run('c', async () => 'c ran');
    expect(sut.stats()).toMatchObject({ running: 2, waiting: { c: 1 } });
    spare.open();
    await b;
    // org a still holds the one slot: c gets the spare b left
    await expect(c).resolves.toBe('c ran');
    held.open();
    await busy;
  });

  it('resumed work raises no flag by waiting; a job that gave way resumes as a request, behind new work until it has waited RESUME_AGE_MS', async () => {
    const sut = new FairScheduler({ name: 'test', slots: 1, maxQueuedPerOrg: 10 });
    const g = gate();
    let turn: Turn | undefined;
    const held = sut.run('x', (_s, _r, t) => ((turn = t), g.p), { yieldable: true });
    const resumed = sut.run('y', async () => undefined, { resume: true });
    expect(Atomics.load(turn!.flag, 0)).toBe(0); // work that gave way does not make others give way
    const fresh = sut.run('z', async () => undefined);
    expect(Atomics.load(turn!.flag, 0)).toBe(1); // new work of an org holding none does
    g.open();
    await Promise.all([held, resumed, fresh]);

    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const g2 = gate();
      const order: string[] = [];
      const all = [sut.run('x', () => g2.p)];
      all.push(sut.run('r1', async () => void order.push('r1')));
      all.push(sut.run('j', async () => void order.push('j resumed'), { cls: WorkClass.Job, resume: true }));
      all.push(sut.run('r2', async () => void order.push('r2')));
      vi.advanceTimersByTime(RESUME_AGE_MS);
      all.push(sut.run('r3', async () => void order.push('r3')));
      g2.open();
      await Promise.all(all);
      // aged, it goes first: a stream of requests cannot starve a job that has started
      expect(order).toEqual(['j resumed', 'r1', 'r2', 'r3']);
    } finally {
      vi.useRealTimers();
    }
  });
});
