import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { IntakeConfig, ProcessConfig } from '../../../config/slices.js';
import { FairPool } from '../../../common/fair/fair-pool.js';
import {
  EngineBusyError,
  EngineMemoryError,
  EngineStepError,
  EngineTimeoutError,
  type EngineCaller,
} from '../../../common/fair/fair-scheduler.js';
import { ProblemException } from '../../../common/filters/problem.js';

export interface PdfLimits {
  maxPages: number;
  timeoutMs: number;
}

export interface PdfText {
  text: string;
  pages: number;
}

export interface PdfEngineOptions extends PdfLimits {
  threads: number;
  maxQueuedPerOrg: number;
  /** Nice value of the pool's threads (ENGINE_NICE). */
  nice?: number;
  /** Threads started with the pool and kept (PARSE_WARM_THREADS). */
  warm?: number;
  /** Memory of one parse, heap and buffers, in MiB (PDF_MAX_MEMORY_MB); default unwatched. */
  maxMemoryMb?: number;
  /**
   * How long one page may take to read, in ms (PDF_PAGE_TIMEOUT_MS); default unbounded. A page
   * cannot stop partway to take turns, so this bounds how long it holds its thread.
   */
  pageTimeoutMs?: number;
  /**
   * How long a parse runs before it gives its thread to another org's waiting document, resuming
   * at the next page in a later turn (PDF_TURN_MS); 0: a parse keeps its thread to the end.
   */
  turnMs?: number;
}

type WorkerAnswer = {
  ok: boolean;
  parts?: string[];
  pages?: number;
  next?: number;
  ranMs?: number;
  openMs?: number;
  reason?: string;
};

/** The PDF's `%%EOF` marker must be in its last 1024 bytes (ISO 32000); a cut file has none. */
function looksComplete(buf: Uint8Array): boolean {
  const tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 1024))).toString('latin1');
  return (
    buf.length > 8 && Buffer.from(buf.subarray(0, 5)).toString('latin1') === '%PDF-' && tail.includes('%%EOF')
  );
}

// src/ runs type-stripped .ts under the test runner; dist/ has the compiled .js beside this file.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './pdf-worker.ts' : './pdf-worker.js',
  import.meta.url,
);
const HEAP_MB = 256;

/**
 * Text of a PDF (unpdf / PDF.js: no fonts, no images, no rendering) on the `pdf` worker-thread
 * pool: threads with a capped heap, orgs served in turn with requests ahead of crawl jobs, a
 * bounded queue per org (429 overloaded), a time limit from enqueue past which the thread is
 * terminated. So a hostile document can neither hang nor exhaust the service. Parses take turns:
 * while an org holding no thread waits, a parse of the org holding the most that has run
 * PDF_TURN_MS stops after its page and resumes at the next in its org's next turn, so other orgs'
 * heavy PDFs delay an org's by about a turn and a page, not by whole documents. Truncated or
 * malformed files are 422, documents over the page limit 413 (the page count is read before any
 * page is parsed), a document whose parse holds more than PDF_MAX_MEMORY_MB (what its compressed
 * streams inflate to lives outside the capped heap) 422 `pdf-too-large`, a page (or the opening)
 * that takes longer than PDF_PAGE_TIMEOUT_MS 422 `pdf-page-timeout`, a document that used most
 * of the time limit itself 422 `pdf-timeout`; a wait past it for other work is 503 `engine-timeout`.
 */
export class PdfEngine {
  readonly pool: FairPool;

  constructor(private readonly opts: PdfEngineOptions) {
    this.pool = new FairPool({
      name: 'pdf',
      filename: WORKER_URL,
      threads: opts.threads,
      maxQueuedPerOrg: opts.maxQueuedPerOrg,
      timeoutMs: opts.timeoutMs,
      nice: opts.nice,
      warm: opts.warm,
      maxMemoryMb: opts.maxMemoryMb,
      maxStepMs: opts.pageTimeoutMs,
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 32 },
    });
  }

  async text(
    data: Uint8Array,
    who: EngineCaller,
    limits: Partial<PdfLimits> = {},
    signal?: AbortSignal,
  ): Promise<PdfText> {
    const maxPages = limits.maxPages ?? this.opts.maxPages;
    const limitMs = limits.timeoutMs ?? this.opts.timeoutMs;
    if (!looksComplete(data))
      throw new ProblemException(422, 'malformed-pdf', 'the PDF is truncated or malformed');
    const deadline = performance.now() + limitMs;
    // The bytes cross to the parser threads once, as shared memory: each turn would otherwise copy
    // the whole document twice on the event loop (its own copy, then the message's), and those
    // copies live outside V8's heap, where every 64 MB set off a full collection of the main thread
    // (bench:fair-share row (e3), two orgs' six 7 MB documents taking turns: 3-13 in 20 s, 3 shared).
    const shared = new Uint8Array(new SharedArrayBuffer(data.byteLength));
    shared.set(data);
    const parts: string[] = [];
    // The document's own time over its turns: waits and its openings after the first excluded (a
    // time limit that turns made it miss is the engine's, 503, not the document's).
    let ranMs = 0;
    let from = 1;
    for (;;) {
      let out: WorkerAnswer;
      try {
        out = await this.pool.run<WorkerAnswer>(
          who.key,
          'parse',
          { data: shared, maxPages, from, turnMs: this.opts.turnMs },
          {
            cls: who.cls,
            timeoutMs: Math.max(1, Math.ceil(deadline - performance.now())),
            signal,
            yieldable: (this.opts.turnMs ?? 0) > 0,
            resume: from > 1,
          },
        );
      } catch (e) {
        if (signal?.aborted) throw e; // the caller stopped (a job handed back at shutdown)
        if (e instanceof EngineTimeoutError) {
          if (ranMs + (e.ranMs ?? 0) >= limitMs / 2)
            throw new ProblemException(422, 'pdf-timeout', `the PDF took longer than ${limitMs} ms to read`);
          throw new EngineTimeoutError('pdf', limitMs, e.ranMs === undefined, e.ranMs);
        }
        if (e instanceof EngineStepError)
          throw new ProblemException(
            422,
            'pdf-page-timeout',
            e.step > 0
              ? `page ${e.step} of the PDF took longer than ${e.limitMs} ms to read`
              : `opening the PDF took longer than ${e.limitMs} ms`,
          );
        if (e instanceof EngineMemoryError)
          throw new ProblemException(422, 'pdf-too-large', `the PDF needs more than ${e.limitMb} MiB of memory to read`);
        if (e instanceof EngineBusyError) throw e;
        // Out of memory, or a crash in the parser: the document is what is wrong.
        out = { ok: false, reason: 'malformed' };
      }
      if (out.ok) {
        parts.push(...out.parts!);
        if (out.next === undefined)
          return { text: parts.filter(Boolean).join('\n\n').replaceAll('\u0000', ''), pages: out.pages! };
        ranMs += out.ranMs! - (from > 1 ? out.openMs! : 0);
        from = out.next;
        continue;
      }
      if (out.reason === 'too-many-pages') {
        throw new ProblemException(
          413,
          'too-many-pages',
          `the PDF has ${out.pages} pages; at most ${maxPages} are accepted`,
        );
      }
      throw new ProblemException(422, 'malformed-pdf', 'the PDF is truncated or malformed');
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The process's PDF pool, configured from the environment (PARSE_THREADS, PDF_*). */
@Injectable()
export class PdfService extends PdfEngine implements OnApplicationShutdown {
  constructor(
    @Inject(IntakeConfig) intakeConfig: IntakeConfig,
    @Inject(ProcessConfig) processConfig: ProcessConfig,
  ) {
    super({
      threads: intakeConfig.parseThreads,
      maxQueuedPerOrg: intakeConfig.pdfMaxQueuedPerOrg,
      timeoutMs: intakeConfig.pdfTimeoutMs,
      maxPages: intakeConfig.pdfMaxPages,
      nice: processConfig.engineNice,
      warm: intakeConfig.parseWarmThreads,
      maxMemoryMb: intakeConfig.pdfMaxMemoryMb,
      pageTimeoutMs: intakeConfig.pdfPageTimeoutMs,
      turnMs: intakeConfig.pdfTurnMs,
    });
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
