import { ProblemException } from '../filters/problem.js';

/** Request work goes ahead of background (job) work on a shared engine of the same process. */
export enum WorkClass {
  Request = 0,
  Job = 1,
}

export interface FairSchedulerOptions {
  /** Engine name, for errors and metrics (`embeddings`, `embeddings-quick`, `ocr`, `pdf`, `html`, `db`). */
  name: string;
  /** How many units of work run at once. */
  slots: number;
  /** Work an org may have waiting; past it the call is refused at once (429 overloaded). */
  maxQueuedPerOrg: number;
  /** Time limit counted from enqueue (waiting included), in ms; 0 = none. */
  timeoutMs?: number;
  /**
   * Slots beyond `slots` that only request work of an org holding none may take while every slot
   * is busy: a newcomer starts at once instead of waiting out another org's long task (default 0).
   */
  spare?: number;
}

export interface ScheduleOptions {
  cls?: WorkClass;
  /** Overrides the engine's time limit for this call. */
  timeoutMs?: number;
  /**
   * Bounds only the wait for a slot; the work itself is not limited by it. Past it: EngineBusyError
   * (429) when the org holds at least its share of the slots, else EngineTimeoutError (503).
   */
  maxWaitMs?: number;
  /** Aborts the wait (and is passed on to the work). */
  signal?: AbortSignal;
  /**
   * The work can stop at a safe point and be resumed by a later call (a turn): it gets a `Turn`
   * whose flag the scheduler raises while an org holding none waits with new work (or any org's
   * new request, for a job).
   */
  yieldable?: boolean;
  /**
   * The call resumes work that yielded its turn: it goes ahead of its org's other waiting work, as
   * request work, and its waiting makes no running work give way.
   */
  resume?: boolean;
}

/**
 * A yieldable work's turn: `flag[0]` (an Int32Array on shared memory, so a worker thread can read
 * it with Atomics.load) is 1 while the work should stop at its next safe point and resume in a new
 * call, so that a waiting org's work gets the slot (see signalTurns); 0 otherwise.
 */
export interface Turn {
  flag: Int32Array;
  /** Called on the main thread each time the flag is raised (work that waits on a process, not a thread). */
  onRaise?: () => void;
}

/** Refused at enqueue: this org already has its bound of work waiting for the engine. */
export class EngineBusyError extends ProblemException {
  constructor(engine: string, retryAfterS: number) {
    super(
      429,
      'overloaded',
      `too much of your org's work is waiting for the ${engine} engine; retry later`,
      { engine },
      { 'Retry-After': String(retryAfterS) },
    );
  }
}

/**
 * The work's thread held more memory than the engine allows (its heap and what lives outside it:
 * buffers, a stream it inflated) and was terminated: the input is what is wrong (422).
 */
export class EngineMemoryError extends ProblemException {
  constructor(
    engine: string,
    readonly limitMb: number,
  ) {
    super(422, 'engine-memory', `reading the input took more than ${limitMb} MiB of the ${engine} engine's memory`, {
      engine,
    });
  }
}

/**
 * One step of the work (a unit it cannot stop within, such as a PDF page; `step` its number, 0 what
 * came before the first) ran longer than the engine allows and its thread was terminated: the input
 * is what is wrong (422).
 */
export class EngineStepError extends ProblemException {
  constructor(
    engine: string,
    readonly limitMs: number,
    readonly step: number,
  ) {
    super(422, 'engine-step-timeout', `one step of reading the input took longer than ${limitMs} ms in the ${engine} engine`, {
      engine,
    });
  }
}

/**
 * The time limit, counted from enqueue, passed before the work finished (or, with `waiting`, before
 * it started). `ranMs` says how long the work itself had run (undefined: it never started), so a
 * caller can tell an input that takes too long (its own fault, e.g. 422) from a busy engine (503,
 * worth retrying).
 */
export class EngineTimeoutError extends ProblemException {
  constructor(
    engine: string,
    readonly limitMs: number,
    waiting = false,
    readonly ranMs?: number,
  ) {
    super(
      503,
      'engine-timeout',
      waiting
        ? `the ${engine} engine had no free slot within ${limitMs} ms`
        : `the ${engine} engine did not finish within ${limitMs} ms`,
      { engine },
      { 'Retry-After': '1' },
    );
  }

  /** The work itself ran for at least half the limit: the input is too slow, waiting did not cause it. */
  overran(): boolean {
    return this.ranMs !== undefined && this.ranMs >= this.limitMs / 2;
  }
}

/** Who a shared engine serves: the org (or user) that pays, and whether a request or a job waits. */
export interface EngineCaller {
  key: string;
  cls: WorkClass;
}

interface Waiter {
  key: string;
  cls: WorkClass;
  /** Resumes work that gave way (it never makes running work give way in turn). */
  resume: boolean;
  /** When the call's time limit passes (performance.now() ms; Infinity: none). */
  deadline: number;
  /** When it was queued (performance.now() ms). */
  queuedAt: number;
  start: (rank: number) => void;
  fail: (e: Error) => void;
}

interface Running {
  key: string;
  cls: WorkClass;
  turn: Turn;
}

interface OrgState {
  running: number;
  /** When this org last got a slot (a sequence number): ties go to the one served longest ago. */
  servedAt: number;
  waiting: [Waiter[], Waiter[]]; // per WorkClass
}

/**
 * A shared engine (the embedding model, OCR slots, a parser pool, the database pool) served
 * fairly across orgs inside one process. Each org has its own bounded queue; when a slot frees,
 * it goes to request work before job work, and within a class to the waiting org that holds the
 * fewest slots, ties to the one served longest ago (round-robin). An org alone may use every slot (work conserving); while
 * others wait it gets a slot back only when it holds no more than they do. With `spare` slots, a
 * request of an org holding none starts at once even while another org holds every slot; and each
 * work learns its rank within its org, so an engine can run an org's second and later tasks at a
 * lower CPU priority than anyone's first. Time limits count from enqueue, so a call never waits
 * forever behind someone else's work.
 */
export class FairScheduler {
  private readonly orgs = new Map<string, OrgState>();
  /** Orgs that have waiting work. */
  private readonly ring: string[] = [];
  private running = 0;
  private seq = 0;
  /** Yieldable work running now, whose turn flags follow who waits (signalTurns). */
  private readonly yieldable = new Set<Running>();
  /** Mean run time of recent work, for Retry-After. */
  private meanRunMs = 100;

  constructor(private readonly opts: FairSchedulerOptions) {
    if (opts.slots < 1) throw new Error(`${opts.name}: slots must be at least 1`);
  }

  get name(): string {
    return this.opts.name;
  }

  /** Slots in use, and waiting work per org (for metrics and tests). */
  stats(): { running: number; waiting: Record<string, number>; runningByOrg: Record<string, number> } {
    const waiting: Record<string, number> = {};
    const runningByOrg: Record<string, number> = {};
    for (const [k, s] of this.orgs) {
      const n = s.waiting[0].length + s.waiting[1].length;
      if (n) waiting[k] = n;
      if (s.running) runningByOrg[k] = s.running;
    }
    return { running: this.running, waiting, runningByOrg };
  }

  /**
   * Runs `work` when this org's turn comes. `key` names who pays: an org id, or `user:<id>` for a
   * caller without one. The signal given to `work` aborts when the time limit passes; `rank` is how
   * many slots the org already held when this work got its own (0: its only one), so an engine can
   * run an org's extra work at a lower priority than every org's first. With `yieldable`, `work`
   * also gets a Turn (see ScheduleOptions.yieldable).
   */
  async run<T>(
    key: string,
    work: (signal: AbortSignal, rank: number, turn?: Turn) => Promise<T>,
    o: ScheduleOptions = {},
  ): Promise<T> {
    // Started work that gave way resumes as a request: a job that has begun is not starved by a
    // stream of requests after giving way once (request work goes ahead of jobs that have not).
    const cls = o.resume ? WorkClass.Request : (o.cls ?? WorkClass.Request);
    const timeoutMs = o.timeoutMs ?? this.opts.timeoutMs ?? 0;
    // Without a time limit or a caller's signal nothing can abort the work: no controller, timer or
    // race is built for it (the database engine runs every request this way, usually on a free slot).
    const ac = timeoutMs > 0 || o.signal ? new AbortController() : undefined;
    const onOuterAbort = () => ac!.abort(o.signal?.reason);
    if (o.signal?.aborted) onOuterAbort();
    else o.signal?.addEventListener('abort', onOuterAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let began: number | undefined;
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        ac!.abort(new EngineTimeoutError(this.opts.name, timeoutMs));
      }, timeoutMs);
      timer.unref();
    }
    try {
      ac?.signal.throwIfAborted();
      const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
      const rank =
        this.tryTake(key, cls, o.resume) ??
        (await this.wait(key, cls, ac?.signal, o.maxWaitMs, o.resume ?? false, deadline));
      const start = (began = performance.now());
      const entry: Running | undefined = o.yieldable
        ? { key, cls, turn: { flag: new Int32Array(new SharedArrayBuffer(4)) } }
        : undefined;
      if (entry) {
        this.yieldable.add(entry);
        this.signalTurns();
      }
      // The slot is held until the work itself settles, even when the caller stops waiting for it
      // (a model call cannot always be interrupted): a timed-out call never over-commits the engine.
      const done = work(ac?.signal ?? NEVER_ABORTED, rank, entry?.turn).finally(() => {
        this.meanRunMs = this.meanRunMs * 0.8 + (performance.now() - start) * 0.2;
        if (entry) this.yieldable.delete(entry);
        this.release(key);
      });
      if (!ac) return await done;
      done.catch(() => undefined);
      return await raceAbort(done, ac.signal);
    } catch (e) {
      if (timedOut)
        throw new EngineTimeoutError(
          this.opts.name,
          timeoutMs,
          false,
          began === undefined ? undefined : performance.now() - began,
        );
      throw e;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private state(key: string): OrgState {
    let s = this.orgs.get(key);
    if (!s) {
      s = { running: 0, servedAt: 0, waiting: [[], []] };
      this.orgs.set(key, s);
    }
    return s;
  }

  /**
   * A slot at once when one is free (or a spare one for a newcomer's request) and nobody waits;
   * undefined when the work must queue; EngineBusyError when the org's queue is full.
   */
  private tryTake(key: string, cls: WorkClass, resume = false): number | undefined {
    const s = this.state(key);
    const queued = s.waiting[0].length + s.waiting[1].length;
    if (this.running < this.opts.slots && this.ring.length === 0) return this.take(s);
    if (cls === WorkClass.Request && s.running === 0 && queued === 0 && this.spareFree()) return this.take(s);
    // a resumed turn is work already admitted: it never counts against the org's queue bound
    if (!resume && queued >= this.opts.maxQueuedPerOrg) {
      this.forget(key, s);
      throw new EngineBusyError(this.opts.name, this.retryAfterS(queued + s.running));
    }
    return undefined;
  }

  /**
   * Queues for this org's turn; resolves with the work's rank once it holds a slot. `maxWaitMs`
   * bounds the wait alone (EngineTimeoutError with `waiting`); `signal` aborts it.
   */
  private wait(
    key: string,
    cls: WorkClass,
    signal: AbortSignal | undefined,
    maxWaitMs: number | undefined,
    resume: boolean,
    deadline: number,
  ): Promise<number> {
    const s = this.state(key);
    return new Promise<number>((resolve, reject) => {
      let waitTimer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(waitTimer);
        signal?.removeEventListener('abort', onAbort);
      };
      const w: Waiter = {
        key,
        cls,
        resume,
        deadline,
        queuedAt: performance.now(),
        start: (rank) => {
          settle();
          resolve(rank);
        },
        fail: reject,
      };
      const leave = (reason: unknown) => {
        settle();
        const list = s.waiting[cls];
        const i = list.indexOf(w);
        if (i >= 0) list.splice(i, 1);
        if (!s.waiting[0].length && !s.waiting[1].length) this.dropFromRing(key);
        this.forget(key, s);
        this.signalTurns();
        reject(reason instanceof Error ? reason : new Error(String(reason)));
      };
      const onAbort = () => leave(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (maxWaitMs !== undefined && maxWaitMs > 0) {
        waitTimer = setTimeout(() => leave(this.waitedTooLong(s, maxWaitMs)), maxWaitMs);
        waitTimer.unref();
      }
      if (resume) s.waiting[cls].unshift(w);
      else s.waiting[cls].push(w);
      if (!this.ring.includes(key)) this.ring.push(key);
      this.dispatch();
    });
  }

  /**
   * A wait for a slot ran past `maxWaitMs`. An org holding at least its share of the slots waited
   * behind its own work: that is its excess, refused as 429 overloaded (the same answer as a full
   * queue). An org holding less waited behind others or a stalled engine: 503, worth retrying.
   */
  private waitedTooLong(s: OrgState, maxWaitMs: number): Error {
    const share = Math.ceil(this.opts.slots / Math.max(1, this.orgs.size));
    if (s.running < share) return new EngineTimeoutError(this.opts.name, maxWaitMs, true);
    const queued = s.waiting[0].length + s.waiting[1].length;
    return new EngineBusyError(this.opts.name, this.retryAfterS(queued + s.running));
  }

  /** Seconds until `ahead` units of an org's work have likely run (at least 1), for Retry-After. */
  private retryAfterS(ahead: number): number {
    return Math.max(1, Math.ceil((ahead * this.meanRunMs) / this.opts.slots / 1000));
  }

  /** Gives `s` a slot; returns the slot's rank (how many the org held before it). */
  private take(s: OrgState): number {
    s.servedAt = ++this.seq;
    this.running++;
    return s.running++;
  }

  private release(key: string): void {
    const s = this.orgs.get(key);
    if (s) {
      s.running--;
      this.running--;
      this.forget(key, s);
    }
    this.dispatch();
  }

  /** A spare slot is free (a request of an org holding none may take it). */
  private spareFree(): boolean {
    return this.running < this.opts.slots + (this.opts.spare ?? 0);
  }

  /**
   * Hands free slots to waiting work: request class first, then the org holding the fewest slots;
   * a free spare slot to the request of an org holding none.
   */
  private dispatch(): void {
    while (this.ring.length && this.spareFree()) {
      const next = this.pick();
      if (!next) break;
      const { key, s, cls } = next;
      const spare = cls === WorkClass.Request && s.running === 0; // the loop checked that a spare slot is free
      if (this.running >= this.opts.slots && !spare) break;
      const w = s.waiting[cls].shift()!;
      if (!s.waiting[0].length && !s.waiting[1].length) this.dropFromRing(key);
      w.start(this.take(s));
    }
    this.signalTurns();
  }

  /**
   * Raises the turn flag of each yieldable work that should give way to an org's new (not resumed)
   * waiting work: a job's, to another org's request; the work of the org holding the most slots, to
   * an org holding none. Lowers it once no such org waits. Resumed work never makes others give way,
   * and orgs that each hold a slot do not take turns: turns there would spread every org's work
   * thin against its time limit (counted from enqueue), each turn costing a document's reopening.
   */
  private signalTurns(): void {
    if (!this.yieldable.size) return;
    let most = 0;
    for (const s of this.orgs.values()) most = Math.max(most, s.running);
    const fresh = (list: Waiter[]) => list.some((w) => !w.resume);
    for (const r of this.yieldable) {
      const mine = this.orgs.get(r.key)?.running ?? 0;
      let owe = false;
      for (const key of this.ring) {
        if (key === r.key) continue;
        const s = this.orgs.get(key)!;
        const request = fresh(s.waiting[WorkClass.Request]);
        const same = r.cls === WorkClass.Request ? request : fresh(s.waiting[WorkClass.Job]);
        if ((request && r.cls === WorkClass.Job) || (same && s.running === 0 && mine === most)) {
          owe = true;
          break;
        }
      }
      const was = Atomics.exchange(r.turn.flag, 0, owe ? 1 : 0);
      if (owe && !was) r.turn.onRaise?.();
    }
  }

  /**
   * The next work to start: request class first; then the org holding the fewest slots; among
   * those, resumed work that has waited RESUME_AGE_MS, then new work (the newcomer that running
   * work gave way to; by the org served longest ago, round-robin), then the rest of the resumed
   * work; resumed work by earliest time limit, so that turns neither leave every started document
   * to finish at the end against its limit nor starve it behind a stream of new work.
   */
  private pick(): { key: string; s: OrgState; cls: WorkClass } | undefined {
    for (const cls of [WorkClass.Request, WorkClass.Job]) {
      let best: { key: string; s: OrgState; w: Waiter } | undefined;
      for (const key of this.ring) {
        const s = this.orgs.get(key)!;
        const w = s.waiting[cls][0];
        if (!w) continue;
        if (!best || before(s, w, best.s, best.w)) best = { key, s, w };
      }
      if (best) return { key: best.key, s: best.s, cls };
    }
    return undefined;
  }

  private dropFromRing(key: string): void {
    const i = this.ring.indexOf(key);
    if (i >= 0) this.ring.splice(i, 1);
  }

  private forget(key: string, s: OrgState): void {
    if (!s.running && !s.waiting[0].length && !s.waiting[1].length) this.orgs.delete(key);
  }
}

/** How long resumed work may wait behind new work before it goes first (see FairScheduler.pick). */
export const RESUME_AGE_MS = 1000;

/**
 * 0: resumed work that has waited RESUME_AGE_MS; 1: new work; 2: other resumed work. The clock is
 * read only for resumed work: the engines without turns (the database pool) never read it here.
 */
const rankOf = (w: Waiter) => (!w.resume ? 1 : performance.now() - w.queuedAt >= RESUME_AGE_MS ? 0 : 2);

/** Whether org `s`'s next work `w` goes before org `t`'s next work `v` (see FairScheduler.pick). */
function before(s: OrgState, w: Waiter, t: OrgState, v: Waiter): boolean {
  if (s.running !== t.running) return s.running < t.running;
  const a = rankOf(w);
  const b = rankOf(v);
  if (a !== b) return a < b;
  if (w.resume) return w.deadline < v.deadline;
  return s.servedAt < t.servedAt;
}

/** The signal given to work that nothing can abort. */
const NEVER_ABORTED = new AbortController().signal;

/** Settles with `p`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/** Who pays for work on a shared engine: the org, else the user (a caller without an org), else the system. */
export function fairKey(ctx: { orgId: string | null; userId: string | null } | undefined): string {
  if (ctx?.orgId) return ctx.orgId;
  return ctx?.userId ? `user:${ctx.userId}` : 'system';
}
