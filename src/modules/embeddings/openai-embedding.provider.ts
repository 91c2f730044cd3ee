import { batches, EmbeddingProvider, EmbeddingProviderError, type EmbeddingResult } from './embedding-provider.js';

export interface OpenAiEmbeddingOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  dimension: number;
  batchSize?: number;
  timeoutMs?: number;
}

interface OpenAiAnswer {
  data?: { index?: number; embedding?: unknown }[];
  usage?: { prompt_tokens?: number; total_tokens?: number };
}

/**
 * Any OpenAI-compatible embeddings API (`POST {base}/embeddings`): OpenAI, Ollama, vLLM, TEI,
 * LocalAI. The key travels only in the Authorization header and is never logged.
 */
export class OpenAiEmbeddingProvider extends EmbeddingProvider {
  readonly kind = 'openai' as const;
  readonly model: string;
  readonly dimension: number;
  private readonly url: string;

  constructor(private readonly opts: OpenAiEmbeddingOptions) {
    super();
    this.model = opts.model;
    this.dimension = opts.dimension;
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/embeddings`;
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    const vectors: number[][] = [];
    let tokens = 0;
    for (const batch of batches(texts, this.opts.batchSize ?? 64)) {
      const r = await this.call(batch);
      vectors.push(...r.vectors);
      tokens += r.tokens;
    }
    return { vectors, tokens };
  }

  private async call(input: string[]): Promise<EmbeddingResult> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.model, input, encoding_format: 'float' }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (e) {
      const reason = e instanceof Error && e.name === 'TimeoutError' ? 'timed out' : 'is unreachable';
      throw new EmbeddingProviderError(`the embedding API ${reason}`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new EmbeddingProviderError(`the embedding API answered ${res.status}`);
    }
    let body: OpenAiAnswer;
    try {
      body = (await res.json()) as OpenAiAnswer;
    } catch {
      throw new EmbeddingProviderError('the embedding API answered something that is not JSON');
    }
    const data = Array.isArray(body.data) ? body.data : [];
    if (data.length !== input.length) throw new EmbeddingProviderError(`the embedding API returned ${data.length} vectors for ${input.length} inputs`);
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const vectors = ordered.map((d) => d.embedding);
    for (const v of vectors) {
      if (!Array.isArray(v) || v.length !== this.dimension || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmbeddingProviderError(
          `the embedding API returned a vector of ${Array.isArray(v) ? v.length : 'no'} dimensions; EMBEDDINGS_DIM is ${this.dimension}`,
        );
      }
    }
    const approx = input.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
    return { vectors: vectors as number[][], tokens: body.usage?.prompt_tokens ?? body.usage?.total_tokens ?? approx };
  }
}
