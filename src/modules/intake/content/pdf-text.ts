import { Worker } from 'node:worker_threads';
import { ProblemException } from '../../../common/filters/problem.js';

export interface PdfLimits {
  maxPages: number;
  timeoutMs: number;
}

export interface PdfText {
  text: string;
  pages: number;
}

type WorkerAnswer = { id: number; ok: boolean; text?: string; pages?: number; reason?: string };

/** The PDF's `%%EOF` marker must be in its last 1024 bytes (ISO 32000); a cut file has none. */
function looksComplete(buf: Uint8Array): boolean {
  const tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 1024))).toString('latin1');
  return buf.length > 8 && Buffer.from(buf.subarray(0, 5)).toString('latin1') === '%PDF-' && tail.includes('%%EOF');
}

// src/ runs type-stripped .ts under the test runner; dist/ has the compiled .js beside this file.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './pdf-worker.ts' : './pdf-worker.js', import.meta.url);
const HEAP_MB = 256;
const IDLE_MS = 60_000;

/**
 * One warm parsing thread, one document at a time. A document that overruns its time limit, or
 * crashes or exhausts the thread's capped heap, costs the thread: it is terminated and the next
 * document gets a fresh one.
 */
class PdfWorker {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private idle: NodeJS.Timeout | undefined;

  parse(data: Uint8Array, limits: PdfLimits): Promise<WorkerAnswer> {
    const run = this.queue.then(() => this.runOne(data, limits));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private spawn(): Worker {
    const w = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 32 },
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    w.stdout.resume();
    w.stderr.resume();
    w.unref(); // never keeps the process alive
    w.on('error', () => undefined);
    w.once('exit', () => {
      if (this.worker === w) this.worker = undefined;
    });
    return w;
  }

  private runOne(data: Uint8Array, limits: PdfLimits): Promise<WorkerAnswer> {
    clearTimeout(this.idle);
    const w = (this.worker ??= this.spawn());
    const id = ++this.seq;
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        this.idle = setTimeout(() => void this.worker?.terminate(), IDLE_MS).unref();
      };
      const onMessage = (m: WorkerAnswer) => {
        if (m.id !== id) return;
        done();
        resolve(m);
      };
      // Out of memory, or a crash in the parser: the document is what is wrong.
      const onExit = () => {
        done();
        resolve({ id, ok: false, reason: 'malformed' });
      };
      const timer = setTimeout(() => {
        done();
        if (this.worker === w) this.worker = undefined;
        void w.terminate();
        reject(new ProblemException(422, 'pdf-timeout', `the PDF took longer than ${limits.timeoutMs} ms to read`));
      }, limits.timeoutMs);
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.postMessage({ id, data: new Uint8Array(data), maxPages: limits.maxPages });
    });
  }
}

const pdfWorker = new PdfWorker();

/**
 * Text of a PDF (unpdf / PDF.js: no fonts, no images, no rendering), parsed in a worker thread
 * with a capped heap that is terminated at the time limit, so a hostile document can neither
 * hang nor exhaust the service. Truncated or malformed files are 422, documents over the page
 * limit 413 (the page count is read before any page is parsed), past the time limit 422.
 */
export async function pdfText(data: Uint8Array, limits: PdfLimits): Promise<PdfText> {
  if (!looksComplete(data)) throw new ProblemException(422, 'malformed-pdf', 'the PDF is truncated or malformed');
  const out = await pdfWorker.parse(data, limits);
  if (out.ok) return { text: out.text!, pages: out.pages! };
  if (out.reason === 'too-many-pages') {
    throw new ProblemException(413, 'too-many-pages', `the PDF has ${out.pages} pages; at most ${limits.maxPages} are accepted`);
  }
  throw new ProblemException(422, 'malformed-pdf', 'the PDF is truncated or malformed');
}
