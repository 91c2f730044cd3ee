import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { isMarkedAsUntransferable, type TransferListItem } from 'node:worker_threads';
import { IntakeConfig, ProcessConfig } from '../../../config/slices.js';
import { FairPool } from '../../../common/fair/fair-pool.js';
import { EngineTimeoutError, type EngineCaller } from '../../../common/fair/fair-scheduler.js';
import { ProblemException } from '../../../common/filters/problem.js';
import type { CleanUploadAnswer } from './html-worker.js';

// src/ runs type-stripped .ts under the test runner; dist/ has the compiled .js beside this file.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './html-worker.ts' : './html-worker.js',
  import.meta.url,
);

/**
 * Bytes for a pool task, to be transferred (not copied): a buffer in Node's shared pool (a small
 * one) cannot be, so it is copied first; `data` is empty afterwards otherwise.
 */
function handOver(data: Buffer): { bytes: ArrayBuffer; offset: number; length: number } {
  const own = isMarkedAsUntransferable(data.buffer) ? new Uint8Array(data) : data;
  return { bytes: own.buffer as ArrayBuffer, offset: own.byteOffset, length: own.byteLength };
}

/**
 * HTML sanitising and readability on the `html` worker-thread pool (html-worker.ts holds the one
 * sanitiser configuration): PARSE_THREADS threads, orgs served in turn with requests ahead of
 * crawl jobs, PARSE_MAX_QUEUED_PER_ORG documents waiting per org (429 overloaded past it),
 * PARSE_TIMEOUT_MS from enqueue (the thread is stopped past it). A 10 MiB document costs seconds
 * of CPU; here it costs another org nothing but, at worst, its turn. Sanitising takes turns: while
 * an org holding no thread waits, a document of the org holding the most that has run HTML_TURN_MS
 * is held at its next element (its thread waits, HTML_MAX_PAUSED at a time) and goes on in its
 * org's next turn, so two orgs' large documents delay a third org's by about a turn, not by a whole
 * document. Readability (crawled pages, job work) runs to its end.
 */
@Injectable()
export class HtmlEngine implements OnApplicationShutdown {
  readonly pool: FairPool;

  constructor(
    @Inject(IntakeConfig) intakeConfig: IntakeConfig,
    @Inject(ProcessConfig) processConfig: ProcessConfig,
  ) {
    this.pool = new FairPool({
      name: 'html',
      filename: WORKER_URL,
      threads: intakeConfig.parseThreads,
      maxQueuedPerOrg: intakeConfig.parseMaxQueuedPerOrg,
      timeoutMs: intakeConfig.parseTimeoutMs,
      nice: processConfig.engineNice,
      // with turns, one thread more is kept: a newcomer's document runs there while another
      // org's is held (a thread started then cost the newcomer about 0.5 s: loading and warming)
      warm: intakeConfig.parseWarmThreads + (intakeConfig.htmlTurnMs > 0 && intakeConfig.htmlMaxPaused > 0 ? 1 : 0),
      // A hostile document can cost its thread, not the process's heap.
      resourceLimits: { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 64 },
      turnMs: intakeConfig.htmlTurnMs,
      maxPaused: intakeConfig.htmlMaxPaused,
    });
  }

  /** The sanitised HTML (see html-worker.ts) and its plain text for chunking and search. */
  async clean(html: string, who: EngineCaller): Promise<{ html: string; text: string }> {
    const out = await this.run<{ html: string; text: string }>('cleanTask', { html }, who, { turns: true });
    return { html: out.html, text: out.text };
  }

  /**
   * An uploaded HTML file, by its bytes (sniffUpload checked only their start for a large file):
   * the worker decodes and checks them as UTF-8 text (415 unsupported-media-type when they are
   * not, as sniffUpload answers), then cleans. The bytes go by transfer, not copied (`data` is
   * empty afterwards unless it lived in Node's shared pool, whose small buffers are copied); the
   * answer is UTF-8 bytes, transferred back, for the database as they are.
   */
  async cleanUpload(data: Buffer, who: EngineCaller): Promise<{ html: Buffer; text: Buffer }> {
    const task = handOver(data);
    const out = await this.run<CleanUploadAnswer>('cleanUpload', task, who, { turns: true, transferList: [task.bytes] });
    if (!out.ok)
      throw new ProblemException(415, 'unsupported-media-type', 'the file is neither a supported binary format nor UTF-8 text');
    const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    return { html: buf(out.html), text: buf(out.text) };
  }

  /**
   * A fetched document's text, decoded in `charset` on the pool (the bytes go by transfer, as an
   * upload's do): for HTML its readable article text (`readable`), else all of it.
   */
  fetchedText(
    body: Buffer,
    charset: string | undefined,
    html: boolean,
    who: EngineCaller,
    signal?: AbortSignal,
  ): Promise<{ title: string | null; text: string }> {
    const task = handOver(body);
    return this.run('fetchedText', { ...task, charset, html }, who, { signal, transferList: [task.bytes] });
  }

  /**
   * 429 overloaded (queue full) and 503 engine-timeout (waited too long) pass through; a document
   * that used most of the limit itself, or cost its thread (heap cap), is 422.
   */
  private async run<R>(
    fn: string,
    task: object,
    who: EngineCaller,
    opts: { signal?: AbortSignal; transferList?: TransferListItem[]; turns?: boolean } = {},
  ): Promise<R> {
    const { signal, transferList } = opts;
    try {
      return opts.turns
        ? await this.pool.runInTurns<R>(who.key, fn, task, { cls: who.cls, signal, transferList })
        : await this.pool.run<R>(who.key, fn, task, { cls: who.cls, signal, transferList });
    } catch (e) {
      if (signal?.aborted) throw e; // the caller stopped (a job handed back at shutdown)
      if (e instanceof EngineTimeoutError && e.overran())
        throw new ProblemException(
          422,
          'html-timeout',
          `the HTML took longer than ${e.limitMs} ms to process`,
        );
      if (e instanceof ProblemException) throw e;
      throw new ProblemException(422, 'malformed-html', 'the HTML could not be processed');
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.pool.close();
  }
}
