import { Inject, Injectable } from '@nestjs/common';
import { IntakeConfig } from '../../../config/slices.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { ProcessSpawner } from '../../../common/process/spawner.js';
import { EngineTimeoutError, FairScheduler, type EngineCaller } from '../../../common/fair/fair-scheduler.js';
import { niceOfRank } from '../../../common/fair/fair-pool.js';

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
 * sets it; past it tesseract fails to allocate, 422 `ocr-too-large`). A child process keeps the
 * engine's memory and crashes out of the service; the process spawner starts it, so this
 * process's event loop never waits for a fork.
 */
@Injectable()
export class TesseractCliEngine extends OcrEngine {
  readonly engine: FairScheduler;

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
    try {
      return await this.engine.run(who.key, (s, rank) => this.run(image, s, rank), {
        cls: who.cls,
        signal,
      });
    } catch (e) {
      // The image itself took most of the limit: retrying will not help (422). Waiting for the
      // engine stays 503 engine-timeout (retried).
      if (e instanceof EngineTimeoutError && e.overran())
        throw new ProblemException(
          422,
          'ocr-timeout',
          `text recognition took longer than ${this.intakeConfig.ocrTimeoutMs} ms`,
        );
      throw e;
    }
  }

  /** `rank` > 0: the org's second or later image at once, run at a lower priority (niceOfRank). */
  private run(image: Buffer, signal: AbortSignal, rank: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const limitMb = this.intakeConfig.ocrMaxMemoryMb;
      const tesseract = ['tesseract', 'stdin', 'stdout', '-l', 'eng', '--psm', '3'];
      const child = this.spawner.spawn('prlimit', [`--as=${limitMb * 1024 * 1024}`, '--', ...tesseract], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OMP_THREAD_LIMIT: '1', LANG: 'C.UTF-8' },
        nice: niceOfRank(this.spawner.nice, rank),
      });
      const out: Buffer[] = [];
      let outSize = 0;
      let settled = false;
      const finish = (err: Error | null, text?: string) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(text!);
      };
      // Past the time limit (or abandoned): the process goes, and its slot with it.
      const onAbort = () => {
        child.kill('SIGKILL');
        finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => {
        outSize += c.length;
        if (outSize <= 10 * 1024 * 1024) out.push(c);
      });
      let err = '';
      child.stderr.setEncoding('latin1').on('data', (c: string) => (err = (err + c).slice(-4096)));
      child.on('error', () =>
        finish(new ProblemException(503, 'ocr-unavailable', 'the OCR engine is not available')),
      );
      child.on('close', (code: number | null) => {
        // Out of memory under the limit: tesseract's bad_alloc, or leptonica's and libpng's
        // messages (leptonica's even with exit 0 and no text).
        if (/bad_alloc|malloc fail|out of memory/i.test(err))
          finish(new ProblemException(422, 'ocr-too-large', `recognising the image needed more than ${limitMb} MiB`));
        else if (code === 0) finish(null, Buffer.concat(out).toString('utf8').replace(/\f/g, '').trim());
        // prlimit itself failed (it never started tesseract): the engine, not the image
        else if (err.startsWith('prlimit:'))
          finish(new ProblemException(503, 'ocr-unavailable', 'the OCR engine is not available'));
        else finish(new ProblemException(422, 'unreadable-image', 'the image could not be read'));
      });
      child.stdin.end(image);
    });
  }
}
