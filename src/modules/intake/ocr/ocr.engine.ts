import { Inject, Injectable } from '@nestjs/common';
import { ENV, type Env } from '../../../config/env.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { ProcessSpawner } from '../../../common/process/spawner.js';

/** Text recognition behind an interface: the local engine by default, others by config. */
export abstract class OcrEngine {
  /** `signal` (a job's): aborting it kills the engine's process and rejects with its reason. */
  abstract recognize(image: Buffer, signal?: AbortSignal): Promise<string>;
}

/**
 * Debian's tesseract (offline, English data from `tesseract-ocr-eng`) as a child process:
 * image on stdin, text on stdout, killed past OCR_TIMEOUT_MS, at most OCR_CONCURRENCY at once.
 * A child process keeps the engine's memory and crashes out of the service; the process spawner
 * starts it, so this process's event loop never waits for a fork.
 */
@Injectable()
export class TesseractCliEngine extends OcrEngine {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    @Inject(ENV) private readonly env: Env,
    private readonly spawner: ProcessSpawner,
  ) {
    super();
  }

  async recognize(image: Buffer, signal?: AbortSignal): Promise<string> {
    await this.acquire();
    try {
      signal?.throwIfAborted();
      return await this.run(image, signal);
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.env.OCR_CONCURRENCY) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private run(image: Buffer, signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = this.spawner.spawn('tesseract', ['stdin', 'stdout', '-l', 'eng', '--psm', '3'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OMP_THREAD_LIMIT: '1', LANG: 'C.UTF-8' },
      });
      const out: Buffer[] = [];
      let outSize = 0;
      let settled = false;
      const finish = (err: Error | null, text?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(text!);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new ProblemException(422, 'ocr-timeout', `text recognition took longer than ${this.env.OCR_TIMEOUT_MS} ms`));
      }, this.env.OCR_TIMEOUT_MS);
      const onAbort = () => {
        child.kill('SIGKILL');
        finish(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (c: Buffer) => {
        outSize += c.length;
        if (outSize <= 10 * 1024 * 1024) out.push(c);
      });
      child.stderr.resume();
      child.on('error', () => finish(new ProblemException(503, 'ocr-unavailable', 'the OCR engine is not available')));
      child.on('close', (code: number | null) => {
        if (code === 0) finish(null, Buffer.concat(out).toString('utf8').replace(/\f/g, '').trim());
        else finish(new ProblemException(422, 'unreadable-image', 'the image could not be read'));
      });
      child.stdin.end(image);
    });
  }
}
