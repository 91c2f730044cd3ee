import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { IntakeConfig, ProcessConfig } from '../../../config/slices.js';
import { FairPool } from '../../../common/fair/fair-pool.js';
import { EngineTimeoutError, type EngineCaller } from '../../../common/fair/fair-scheduler.js';
import { ProblemException } from '../../../common/filters/problem.js';

// src/ runs type-stripped .ts under the test runner; dist/ has the compiled .js beside this file.
const WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? './html-worker.ts' : './html-worker.js',
  import.meta.url,
);

/**
 * HTML sanitising and readability on the `html` worker-thread pool (html-worker.ts holds the one
 * sanitiser configuration): PARSE_THREADS threads, orgs served in turn with requests ahead of
 * crawl jobs, PARSE_MAX_QUEUED_PER_ORG documents waiting per org (429 overloaded past it),
 * PARSE_TIMEOUT_MS from enqueue (the thread is stopped past it). A 10 MiB document costs seconds
 * of CPU; here it costs another org nothing but, at worst, its turn.
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
      // A hostile document can cost its thread, not the process's heap.
      resourceLimits: { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 64 },
    });
  }

  /** The sanitised HTML (see html-worker.ts) and its plain text for chunking and search. */
  clean(html: string, who: EngineCaller): Promise<{ html: string; text: string }> {
    return this.run('clean', html, who);
  }

  /** The readable article text of a fetched page (Readability on linkedom; all its text when no article). */
  readable(
    html: string,
    who: EngineCaller,
    signal?: AbortSignal,
  ): Promise<{ title: string | null; text: string }> {
    return this.run('readable', html, who, signal);
  }

  /**
   * 429 overloaded (queue full) and 503 engine-timeout (waited too long) pass through; a document
   * that used most of the limit itself, or cost its thread (heap cap), is 422.
   */
  private async run<R>(fn: string, html: string, who: EngineCaller, signal?: AbortSignal): Promise<R> {
    try {
      return await this.pool.run<R>(who.key, fn, html, { cls: who.cls, signal });
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
