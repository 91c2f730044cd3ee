import { Inject, Injectable } from '@nestjs/common';
import { IntakeConfig } from '../../../config/slices.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { ProcessSpawner, type RemoteChild } from '../../../common/process/spawner.js';
import { EngineTimeoutError, FairScheduler, type EngineCaller, type Turn } from '../../../common/fair/fair-scheduler.js';
import { niceOfRank } from '../../../common/fair/fair-pool.js';
import { GAVE_WAY, takeTurn } from '../../../common/fair/turn.js';

/** Text recognition behind an interface: the local engine by default, others by config. */
export abstract class OcrEngine {
  /**
   * The image's text, recognised in `who`'s turn (request work before job work). `signal` (a
   * job's): aborting it kills the engine's process and rejects with its reason.
   */
  abstract recognize(image: Buffer, who: EngineCaller, signal?: AbortSignal): Promise<string>;
}

/**
 * Debian's tesseract (offline, English data from `tesseract-ocr-eng`) as a child process:
 * image on stdin, text on stdout. A shared engine of the process: OCR_CONCURRENCY processes at
 * once (and one spare for a request of an org running none), an org's second and later images at a
 * lower priority, orgs served in turn with requests ahead of ocr jobs (FairScheduler), OCR_MAX_QUEUED_PER_ORG
 * images waiting per org (429 overloaded past it), OCR_TIMEOUT_MS counted from enqueue (the
 * process is killed past it), OCR_MAX_MEMORY_MB of address space per process (util-linux's prlimit
 * sets it; past it tesseract fails to allocate, 422 `ocr-too-large`). Images take turns: while an
 * org holding no slot waits, a process of the org holding the most that has run OCR_TURN_MS is
 * paused (SIGSTOP) and its slot given on, the process continued (SIGCONT) in its org's next turn,
 * so two orgs' dense images delay a third org's small one by about a turn, not by their whole
 * recognition. A child process keeps the engine's memory and crashes out of the service; the
 * process spawner starts it, so this process's event loop never waits for a fork.
 */
@Injectable()
export class TesseractCliEngine extends OcrEngine {
  readonly engine: FairScheduler;
  /** Processes of this engine paused between turns now (at most OCR_MAX_PAUSED). */
  private paused = 0;

  constructor(
    @Inject(IntakeConfig) private readonly intakeConfig: IntakeConfig,
    private readonly spawner: ProcessSpawner,
  ) {
    super();
    this.engine = new FairScheduler({
      name: 'ocr',
      slots: intakeConfig.ocrConcurrency,
      maxQueuedPerOrg: intakeConfig.ocrMaxQueuedPerOrg,
      timeoutMs: intakeConfig.ocrTimeoutMs,
      // a second org's small image starts at once instead of waiting out one org's dense ones
      spare: 1,
    });
  }

  async recognize(image: Buffer, who: EngineCaller, signal?: AbortSignal): Promise<string> {
    const limitMs = this.intakeConfig.ocrTimeoutMs;
    const deadline = performance.now() + limitMs;
    const proc = new OcrProcess(this.spawner, this.intakeConfig.ocrMaxMemoryMb, image);
    try {
      for (;;) {
        const out = await this.engine.run(who.key, (s, rank, turn) => this.turn(proc, s, rank, turn), {
          cls: who.cls,
          signal,
          timeoutMs: Math.max(1, Math.ceil(deadline - performance.now())),
          yieldable: this.intakeConfig.ocrTurnMs > 0,
          resume: proc.started,
        });
        if (out !== GAVE_WAY) return out;
      }
    } catch (e) {
      // The image itself took most of the limit: retrying will not help (422). Waiting for the
      // engine stays 503 engine-timeout (retried).
      // (proc.ranMs counts the turn the limit stopped, if one ran)
      if (e instanceof EngineTimeoutError && proc.ranMs >= limitMs / 2)
        throw new ProblemException(422, 'ocr-timeout', `text recognition took longer than ${limitMs} ms`);
      if (e instanceof EngineTimeoutError) throw new EngineTimeoutError('ocr', limitMs, e.ranMs === undefined, e.ranMs);
      throw e;
    } finally {
      // past the time limit or abandoned, running or paused: the process goes
      if (proc.paused) this.paused--;
      proc.kill();
    }
  }

  /**
   * One turn of an image on the engine: its process started (first turn) or continued. While
   * an org holding no slot waits (the Turn's flag, FairScheduler.signalTurns), the process is paused
   * once it has run OCR_TURN_MS and the turn ends with GAVE_WAY, its slot freed; at most
   * OCR_MAX_PAUSED processes of the engine are paused at once (each keeps its memory), past that it
   * runs on.
   * `rank` > 0: the org's second or later image at once, run at a lower priority (niceOfRank): a
   * process resumed as its org's second keeps to it, though it started as the first.
   */
  private turn(proc: OcrProcess, signal: AbortSignal, rank: number, turn?: Turn): Promise<string | typeof GAVE_WAY> {
    const nice = niceOfRank(this.spawner.nice, rank);
    if (!proc.started) proc.start(nice);
    else {
      this.paused--;
      proc.resume(nice);
    }
    return takeTurn({
      done: proc.done,
      signal,
      turn,
      turnMs: this.intakeConfig.ocrTurnMs,
      // OCR_MAX_PAUSED processes are paused already: it runs on
      mayGiveWay: () => !proc.closed && this.paused < this.intakeConfig.ocrMaxPaused,
      giveWay: () => {
        this.paused++;
        proc.pause();
      },
      stop: () => proc.kill(),
      ran: (ms) => (proc.ranMs += ms),
    });
  }
}

/**
 * One image's tesseract process (under prlimit, which execs it: one pid), which can be paused and
 * continued between turns. `done` settles with the text, or with why not, once it exits.
 */
class OcrProcess {
  private child?: RemoteChild;
  started = false;
  closed = false;
  paused = false;
  /** Time its turns ran, waits excluded. */
  ranMs = 0;
  /** The nice value it runs at. */
  private nice = 0;
  readonly done: Promise<string>;
  private settle!: { resolve: (t: string) => void; reject: (e: Error) => void };

  constructor(
    private readonly spawner: ProcessSpawner,
    private readonly limitMb: number,
    private readonly image: Buffer,
  ) {
    this.done = new Promise<string>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // it may settle while paused, between turns
  }

  start(nice: number): void {
    this.started = true;
    this.nice = nice;
    const tesseract = ['tesseract', 'stdin', 'stdout', '-l', 'eng', '--psm', '3'];
    const child = this.spawner.spawn('prlimit', [`--as=${this.limitMb * 1024 * 1024}`, '--', ...tesseract], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OMP_THREAD_LIMIT: '1', LANG: 'C.UTF-8' },
      nice,
    });
    this.child = child;
    const out: Buffer[] = [];
    let outSize = 0;
    child.stdout.on('data', (c: Buffer) => {
      outSize += c.length;
      if (outSize <= 10 * 1024 * 1024) out.push(c);
    });
    let err = '';
    child.stderr.setEncoding('latin1').on('data', (c: string) => (err = (err + c).slice(-4096)));
    child.on('error', () =>
      this.settle.reject(new ProblemException(503, 'ocr-unavailable', 'the OCR engine is not available')),
    );
    child.on('close', (code: number | null) => {
      this.closed = true;
      const limitMb = this.limitMb;
      // Out of memory under the limit: tesseract's bad_alloc, or leptonica's and libpng's
      // messages (leptonica's even with exit 0 and no text).
      if (/bad_alloc|malloc fail|out of memory/i.test(err))
        this.settle.reject(
          new ProblemException(422, 'ocr-too-large', `recognising the image needed more than ${limitMb} MiB`),
        );
      else if (code === 0) this.settle.resolve(Buffer.concat(out).toString('utf8').replace(/\f/g, '').trim());
      // prlimit itself failed (it never started tesseract): the engine, not the image
      else if (err.startsWith('prlimit:'))
        this.settle.reject(new ProblemException(503, 'ocr-unavailable', 'the OCR engine is not available'));
      else this.settle.reject(new ProblemException(422, 'unreadable-image', 'the image could not be read'));
    });
    child.stdin.end(this.image);
  }

  pause(): void {
    this.paused = true;
    this.child?.kill('SIGSTOP');
  }

  /** Continued at `nice`, or at its own if that is lower (a priority is only ever lowered). */
  resume(nice: number): void {
    this.paused = false;
    if (nice > this.nice) {
      this.nice = nice;
      this.child?.renice(nice);
    }
    this.child?.kill('SIGCONT');
  }

  /** Gone, running or paused (SIGKILL ends a stopped process too). */
  kill(): void {
    this.paused = false;
    if (!this.closed) this.child?.kill('SIGKILL');
  }
}
