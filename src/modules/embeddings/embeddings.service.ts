import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { EmbeddingsConfig } from '../../config/slices.js';
import { ProblemException } from '../../common/filters/problem.js';
import { FairScheduler, fairKey, WorkClass } from '../../common/fair/fair-scheduler.js';
import { TENANT_KEY, type TenantContext } from '../../tenancy/tenant-context.js';
import {
  textBatches,
  EmbeddingProvider,
  EmbeddingProviderError,
  type EmbeddingResult,
} from './embedding-provider.js';
import type { CreateEmbeddingsDto, EmbeddingsAnswerDto } from './dto/embeddings.dto.js';

export interface EmbedOptions {
  /** Request work (a query, POST /v1/embeddings) goes ahead of job work (ingest). */
  cls?: WorkClass;
  signal?: AbortSignal;
  /** Told each batch's texts once the model has embedded them (what a caller stopped partway spent). */
  onBatch?: (texts: string[]) => void;
}

/**
 * Embeds for the API and the other features; maps a provider failure to 503 problem+json.
 * The model is a shared engine: each batch waits its org's turn (FairScheduler), so one org's
 * thousand-chunk backlog delays another org's query by at most the batch already running. A
 * request's short batch (a search query; EMBEDDINGS_QUICK_MAX_CHARS) takes the quick lane instead:
 * the same model on a second thread, with turns of its own, so it does not wait for that batch
 * either (a turn of the local model is up to EMBEDDINGS_BATCH_MAX_CHARS, about 280 ms here, and
 * cannot be interrupted).
 */
@Injectable()
export class EmbeddingsService {
  readonly engine: FairScheduler;
  /** The quick lane (absent when EMBEDDINGS_QUICK_MAX_CHARS is 0): request batches of at most that many characters. */
  readonly quick?: { engine: FairScheduler; provider: EmbeddingProvider; maxChars: number };

  constructor(
    @Inject(EmbeddingProvider) private readonly provider: EmbeddingProvider,
    @Inject(EmbeddingsConfig) private readonly embeddingsConfig: EmbeddingsConfig,
    private readonly cls: ClsService,
  ) {
    this.engine = new FairScheduler({
      name: 'embeddings',
      // the local model is one thread; a remote API takes a few calls at once
      slots: provider.kind === 'local' ? 1 : embeddingsConfig.concurrency,
      maxQueuedPerOrg: embeddingsConfig.maxQueuedPerOrg,
      timeoutMs: embeddingsConfig.timeoutMs,
    });
    if (embeddingsConfig.quickMaxChars > 0)
      this.quick = {
        engine: new FairScheduler({
          name: 'embeddings-quick',
          slots: 1,
          maxQueuedPerOrg: embeddingsConfig.maxQueuedPerOrg,
          timeoutMs: embeddingsConfig.timeoutMs,
        }),
        provider: provider.quickLane(),
        maxChars: embeddingsConfig.quickMaxChars,
      };
  }

  /** The lane a batch runs on: the quick one for request work of at most its characters. */
  private laneOf(batch: string[], cls: WorkClass | undefined): { engine: FairScheduler; provider: EmbeddingProvider } {
    const q = this.quick;
    if (q && cls !== WorkClass.Job && batch.reduce((n, t) => n + t.length, 0) <= q.maxChars) return q;
    return { engine: this.engine, provider: this.provider };
  }

  get dimension(): number {
    return this.provider.dimension;
  }

  /** Embeds `texts` in batches (bounded in count and characters), each batch scheduled fairly under the caller's org. */
  async embed(texts: string[], opts: EmbedOptions = {}): Promise<EmbeddingResult> {
    const ctx = this.cls.isActive() ? this.cls.get<TenantContext | undefined>(TENANT_KEY) : undefined;
    const key = fairKey(ctx);
    try {
      const out: EmbeddingResult = { vectors: [], tokens: 0 };
      for (const batch of textBatches(texts, this.embeddingsConfig.batchSize, this.embeddingsConfig.batchMaxChars)) {
        const { engine, provider } = this.laneOf(batch, opts.cls);
        const r = await engine.run(key, () => provider.embed(batch), {
          cls: opts.cls,
          signal: opts.signal,
        });
        out.vectors.push(...r.vectors);
        out.tokens += r.tokens;
        opts.onBatch?.(batch);
      }
      return out;
    } catch (e) {
      if (e instanceof EmbeddingProviderError) {
        throw new ProblemException(
          503,
          'unavailable',
          `embedding model unavailable: ${e.message}`,
          {},
          { 'Retry-After': '5' },
        );
      }
      throw e;
    }
  }

  /** POST /v1/embeddings: the OpenAI answer shape. */
  async create(body: CreateEmbeddingsDto, signal?: AbortSignal): Promise<EmbeddingsAnswerDto> {
    if (body.dimensions !== undefined && body.dimensions !== this.provider.dimension) {
      throw new ProblemException(400, 'validation', 'the request is invalid', {
        errors: { dimensions: [`this deployment's model gives ${this.provider.dimension} dimensions`] },
      });
    }
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const { vectors, tokens } = await this.embed(inputs, { signal });
    const base64 = body.encoding_format === 'base64';
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding' as const,
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      })),
      model: this.provider.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
}
