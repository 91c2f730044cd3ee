import { readFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { ResourceLimits, TransferListItem, Worker } from 'node:worker_threads';
import {
  EngineMemoryError,
  EngineStepError,
  EngineTimeoutError,
  FairScheduler,
  type ScheduleOptions,
  type Turn,
  type WorkClass,
} from './fair-scheduler.js';
import { GAVE_WAY, takeTurn } from './turn.js';

export interface FairPoolOptions {
  /** Pool name, for errors and metrics (`html`, `pdf`, ...). */
  name: string;
  /** The worker module (packages only: it runs from src/ type-stripped and from dist/). */
  filename: URL;
  threads: number;
  maxQueuedPerOrg: number;
  /** Time limit from enqueue; a task past it has its thread terminated. */
  timeoutMs: number;
  resourceLimits?: ResourceLimits;
  /** How long an idle thread is kept warm. */
  idleTimeoutMs?: number;
  /** Nice value of the pool's threads (ENGINE_NICE); the worker module applies it to its own thread. */
  nice?: number;
  /** Threads beyond `threads` for a newcomer's request (FairScheduler `spare`); default 1. */
  spare?: number;
  /** Lead threads started with the pool and kept (at most threads + spare); default 0 (on demand). */
  warm?: number;
  /**
   * Memory one task's thread may hold, heap and external (array buffers: `resourceLimits` caps only
   * the heap), in MiB; past it the thread is terminated and the task fails with EngineMemoryError.
   * Needs the worker's cooperation: a task (an object) gets a `thread` field, an Int32Array on
   * shared memory, where the worker stores its threadId as it starts
   * (`Atomics.store(task.thread, 0, threadId)`).
   */
  maxMemoryMb?: number;
  /**
   * How long one step of a task may run, in ms of its thread's CPU time: a unit of its work it
   * cannot stop within (a PDF page), which holds its thread however the task takes turns; past it
   * the thread is terminated and the task fails with EngineStepError. CPU time, not wall time, so
   * that a page is not refused for the other work a busy host runs beside it (the engines run at
   * ENGINE_NICE). Needs the worker's cooperation: a task (an object) gets a `step` field beside
   * `thread`, an Int32Array(2) on shared memory, where the worker stores its thread's kernel id
   * (`osThreadId()`, slot 1) and each step's number as it begins (`Atomics.store(task.step, 0, n)`,
   * n > 0; 0 is what comes before the first). Read every MEMORY_POLL_MS from when the task has
   * started; where the thread's CPU time cannot be read (not Linux), wall time.
   */
  maxStepMs?: number;
  /**
   * For `runInTurns`: how long a task runs, in ms, before its thread is held to give its slot to
   * another org's waiting task (0: tasks keep their thread to the end), and how many tasks may be
   * held at once (each keeps its thread: the pools get that many threads more).
   */
  turnMs?: number;
  maxPaused?: number;
}

/** What `runInTurns` keeps of one task across its turns. */
interface TurnsTask<R> {
  /** The worker's export and its input (the `hold` field included), for the first turn. */
  fn: string;
  input: object;
  transferList?: TransferListItem[];
  /** Shared with the worker: 1 while its thread is to wait at its next safe point. */
  hold: Int32Array;
  /** Terminates the task's thread (piscina's abort), held or running. */
  stop: AbortController;
  running?: Promise<R>;
  held: boolean;
  /** The task's own time over its turns (waits excluded). */
  ranMs: number;
}

/**
 * A thread's CPU time (user and system), in ms, from /proc/self/task/<tid>/stat (Linux, in clock
 * ticks of 10 ms); undefined when it cannot be read.
 */
export function threadCpuMs(tid: number): number | undefined {
  if (!tid) return undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    // after the command name in parentheses: state is field 3, utime 14 and stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** How often a running task's thread memory is read (worker.getHeapStatistics: answered while the thread computes). */
const MEMORY_POLL_MS = 50;

/**
 * How much lower an org's second and later concurrent tasks run than every org's first (nice
 * steps, capped at 19): an org holding several threads cannot take the CPU from another org's one.
 */
export const EXTRA_WORK_NICE = 9;

/** The nice value of work of `rank` (0: the org's first task running) on an engine at `base`. */
export const niceOfRank = (base: number, rank: number): number =>
  rank === 0 ? base : Math.min(19, base + EXTRA_WORK_NICE);

/**
 * CPU-heavy work off the event loop, shared fairly across orgs: piscina worker-thread pools
 * (threads started on demand, a capped heap each) behind a FairScheduler with one slot per thread,
 * so piscina itself never queues. Each org's first running task goes to the `lead` threads (at the
 * engine's nice value), its second and later ones to the `extra` threads (EXTRA_WORK_NICE lower),
 * and a request of an org holding none gets a spare thread at once: a second org's small task
 * neither waits out nor shares the CPU evenly with one org's pile of heavy ones. A task past its
 * time limit, or abandoned by its caller, has its thread terminated (piscina aborts a running task
 * by stopping the thread), so a hostile input can neither hang a thread nor keep a slot.
 */
export class FairPool {
  private readonly lead: Piscina;
  private readonly extra: Piscina;
  readonly scheduler: FairScheduler;
  /** Tasks of `runInTurns` held between turns now (at most `maxPaused`). */
  private paused = 0;

  constructor(private readonly opts: FairPoolOptions) {
    const spare = opts.spare ?? 1;
    const base = opts.nice ?? 0;
    const pool = (maxThreads: number, nice: number, minThreads = 0) =>
      new Piscina({
        filename: opts.filename.href,
        minThreads: Math.min(minThreads, Math.max(1, maxThreads)),
        maxThreads: Math.max(1, maxThreads),
        idleTimeout: opts.idleTimeoutMs ?? 60_000,
        resourceLimits: opts.resourceLimits,
        atomics: 'disabled',
        execArgv: [],
        workerData: { nice },
      });
    // every running org's first task may be a lead one; one org's others at most threads - 1; a
    // task held between turns keeps the thread it began on, of either kind
    const held = opts.turnMs ? (opts.maxPaused ?? 0) : 0;
    this.lead = pool(opts.threads + spare + held, base, opts.warm ?? 0);
    this.extra = pool(opts.threads - 1 + held, niceOfRank(base, 1));
    this.scheduler = new FairScheduler({
      name: opts.name,
      slots: opts.threads,
      spare,
      maxQueuedPerOrg: opts.maxQueuedPerOrg,
      timeoutMs: opts.timeoutMs,
    });
  }

  /**
   * Runs the worker's export `fn` on `task` in the org's turn. With `yieldable`, the task (an
   * object) gets a `turn` field: the Turn's flag, which the worker reads between units of its work
   * and, when raised, returns what it has done so far for the caller to resume in a new call.
   */
  run<R>(
    key: string,
    fn: string,
    task: unknown,
    opts: ScheduleOptions & { transferList?: TransferListItem[] } = {},
  ): Promise<R> {
    return this.scheduler.run(
      key,
      (signal, rank, turn) => {
        const pool = rank === 0 ? this.lead : this.extra;
        // a yieldable task reads its turn flag at its safe points (ScheduleOptions.yieldable)
        const input = turn && task && typeof task === 'object' ? { ...task, turn: turn.flag } : task;
        const run = (t: unknown) =>
          pool.run(t, { name: fn, signal, transferList: opts.transferList as never }) as Promise<R>;
        const { maxMemoryMb: limitMb, maxStepMs: stepMs } = this.opts;
        if ((!limitMb && !stepMs) || !input || typeof input !== 'object') return run(input);
        return this.watched(pool, { limitMb, stepMs }, (thread, step) => run({ ...input, thread, ...(stepMs ? { step } : {}) }));
      },
      opts,
    );
  }

  /**
   * Runs the worker's export `fn` on `task` (an object) in turns that hold its thread in place: the
   * task gets a `hold` field, an Int32Array on shared memory, which the worker reads at its safe
   * points (`holdPoint` in the worker) and, while it is 1, waits on (Atomics.wait). While an org
   * holding no slot waits (the Turn's flag, FairScheduler.signalTurns), a task of the org holding
   * the most that has run `turnMs` is held and its slot given on; it goes on, on the same thread,
   * in its org's next turn. At most `maxPaused` tasks are held at once; past it a task runs on. The
   * time limit counts from enqueue over every turn; past it (or abandoned) the task's thread is
   * terminated, held or running, and an EngineTimeoutError says how long the task itself ran. A
   * task resumed as its org's second keeps the priority of the thread it began on. Without
   * `turnMs`, or with `maxMemoryMb` or `maxStepMs`, it is `run`.
   */
  async runInTurns<R>(
    key: string,
    fn: string,
    task: object,
    opts: { cls?: WorkClass; signal?: AbortSignal; transferList?: TransferListItem[] } = {},
  ): Promise<R> {
    const turnMs = this.opts.turnMs ?? 0;
    if (!(turnMs > 0) || this.opts.maxMemoryMb || this.opts.maxStepMs) return this.run<R>(key, fn, task, opts);
    const limitMs = this.opts.timeoutMs;
    const deadline = performance.now() + limitMs;
    const hold = new Int32Array(new SharedArrayBuffer(4));
    const t: TurnsTask<R> = {
      fn,
      input: { ...task, hold },
      transferList: opts.transferList,
      hold,
      stop: new AbortController(),
      held: false,
      ranMs: 0,
    };
    let settled = false;
    try {
      for (;;) {
        const out = await this.scheduler.run<R | typeof GAVE_WAY>(
          key,
          (signal, rank, turn) => this.turnOf(t, turnMs, signal, rank, turn!),
          {
            cls: opts.cls,
            signal: opts.signal,
            timeoutMs: Math.max(1, Math.ceil(deadline - performance.now())),
            yieldable: true,
            resume: t.running !== undefined,
          },
        );
        if (out !== GAVE_WAY) {
          settled = true;
          return out;
        }
      }
    } catch (e) {
      // a limit that passed while the task waited for a later turn: still the whole task's (its
      // own time over its turns says whether it or the engine's other work used the limit)
      if (e instanceof EngineTimeoutError)
        throw new EngineTimeoutError(this.opts.name, limitMs, t.running === undefined, t.ranMs);
      throw e;
    } finally {
      // past its limit, or abandoned, between turns or in one: the thread goes
      if (!settled && t.running) t.stop.abort(new Error('stopped'));
      this.letGo(t);
    }
  }

  /** Lets a held task's thread go on (or be terminated: it wakes to its stop). */
  private letGo(t: TurnsTask<unknown>): void {
    if (t.held) this.paused--;
    t.held = false;
    Atomics.store(t.hold, 0, 0);
    Atomics.notify(t.hold, 0);
  }

  /**
   * One turn of a `runInTurns` task: started on the pool of its rank (first turn) or let go on its
   * thread. Ends with the task's answer, or GAVE_WAY (its thread held) once the turn flag is up,
   * `turnMs` has passed and fewer than `maxPaused` tasks are held (else it looks again a turn later).
   */
  private turnOf<R>(t: TurnsTask<R>, turnMs: number, signal: AbortSignal, rank: number, turn: Turn): Promise<R | typeof GAVE_WAY> {
    if (!t.running) {
      const pool = rank === 0 ? this.lead : this.extra;
      t.running = pool.run(t.input, { name: t.fn, signal: t.stop.signal, transferList: t.transferList as never }) as Promise<R>;
      t.running.catch(() => undefined); // it may settle while held, between turns
    } else this.letGo(t);
    return takeTurn({
      done: t.running,
      signal,
      turn,
      turnMs,
      mayGiveWay: () => this.paused < (this.opts.maxPaused ?? 0),
      giveWay: () => {
        t.held = true;
        this.paused++;
        Atomics.store(t.hold, 0, 1);
      },
      stop: (reason) => t.stop.abort(reason),
      ran: (ms) => (t.ranMs += ms),
    });
  }

  /** Tasks held between turns now. */
  get held(): number {
    return this.paused;
  }

  /**
   * Runs a task while watching its thread every MEMORY_POLL_MS: past `limitMb` of memory, or with
   * one step running past `stepMs`, the thread is terminated (piscina then fails the task and starts
   * a fresh thread) and the task fails with EngineMemoryError or EngineStepError. A document that
   * inflates a compressed stream grows outside the capped heap (about 260 MB/s), so without this a
   * few KB could hold gigabytes of the process; a 59 KB PDF page of 5 million text operators held
   * its thread for 6.3 s, and the turns of every org waiting for that thread with it.
   */
  private async watched<R>(
    pool: Piscina,
    limits: { limitMb?: number; stepMs?: number },
    run: (thread: Int32Array, step: Int32Array) => Promise<R>,
  ): Promise<R> {
    const thread = new Int32Array(new SharedArrayBuffer(4));
    const step = new Int32Array(new SharedArrayBuffer(8));
    let over: 'memory' | 'step' | undefined;
    let reading = false;
    let done = false;
    /** The step last seen and since when (from the first poll that saw the task started), on which clock. */
    let seen = -1;
    let since = 0;
    let seenClock = '';
    const { limitMb, stepMs } = limits;
    const limit = (limitMb ?? 0) * 1024 * 1024;
    const poll = setInterval(() => {
      const id = Atomics.load(thread, 0);
      if (!id || over || done) return;
      const worker = (pool.threads as Worker[]).find((w) => w.threadId === id);
      if (!worker) return;
      if (stepMs) {
        const cpu = threadCpuMs(Atomics.load(step, 1));
        const [now, clock] = cpu === undefined ? [performance.now(), 'wall'] : [cpu, 'cpu'];
        const current = Atomics.load(step, 0);
        if (current !== seen || clock !== seenClock) [seen, since, seenClock] = [current, now, clock];
        else if (now - since > stepMs) {
          over = 'step';
          return void worker.terminate();
        }
      }
      if (!limitMb || reading) return;
      reading = true;
      worker
        .getHeapStatistics()
        .then((s) => {
          // done: the thread may be running another org's task by now
          if (s.used_heap_size + s.external_memory <= limit || over || done) return;
          over = 'memory';
          void worker.terminate();
        })
        .catch(() => undefined) // the thread ended meanwhile
        .finally(() => (reading = false));
    }, MEMORY_POLL_MS);
    try {
      return await run(thread, step);
    } catch (e) {
      if (over === 'memory') throw new EngineMemoryError(this.opts.name, limitMb!);
      if (over === 'step') throw new EngineStepError(this.opts.name, stepMs!, seen);
      throw e;
    } finally {
      done = true;
      clearInterval(poll);
    }
  }

  /** Threads started (both kinds). */
  get threads(): number {
    return this.lead.threads.length + this.extra.threads.length;
  }

  async close(): Promise<void> {
    await Promise.all([this.lead.destroy(), this.extra.destroy()]);
  }
}
