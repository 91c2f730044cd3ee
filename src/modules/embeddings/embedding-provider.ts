/** What the rest of the service needs from an embedding model. */
export interface EmbeddingResult {
  /** One vector per input, in input order, each of `dimension` numbers. */
  vectors: number[][];
  /** Tokens the model read (the model's own count when it reports one). */
  tokens: number;
}

/**
 * The embedding provider seam. Implementations: LocalEmbeddingProvider (offline default) and
 * OpenAiEmbeddingProvider (any OpenAI-compatible HTTP API). Both batch internally.
 */
export abstract class EmbeddingProvider {
  abstract readonly kind: 'local' | 'openai';
  abstract readonly model: string;
  abstract readonly dimension: number;
  abstract embed(texts: string[]): Promise<EmbeddingResult>;

  /**
   * The same model for the quick lane (EMBEDDINGS_QUICK_MAX_CHARS): a provider that can run while
   * this one is busy. A remote API takes calls at once, so it is this one; the local model runs one
   * batch at a time per thread, so it is a second thread (LocalEmbeddingProvider).
   */
  quickLane(): EmbeddingProvider {
    return this;
  }

  /** Stops what the provider started (the local model's threads); a remote client holds nothing. */
  async close(): Promise<void> {}
}

/** The model could not answer (down, timed out, bad answer): a dependency failure, 503 to clients. */
export class EmbeddingProviderError extends Error {}

/**
 * Characters one unit of embedding cost covers: an input counts one unit per started block (the
 * local model's time grows with its length: 3.4 ms for 20 characters, 80 ms for 2,000, 1.2 s for
 * 20,000). An ingest chunk (1,000 characters at most) is one unit.
 */
export const EMBEDDING_UNIT_CHARS = 1000;

/** The units of embedding cost `texts` take (at least one per input). */
export function embeddingUnits(texts: readonly string[]): number {
  return texts.reduce((n, t) => n + Math.max(1, Math.ceil(t.length / EMBEDDING_UNIT_CHARS)), 0);
}

/**
 * Consecutive batches of at most `size` texts and at most `maxChars` characters (a longer text is
 * a batch alone): a batch is one turn of the shared model, so its length bounds how long another
 * org's query waits behind it.
 */
export function textBatches(texts: string[], size: number, maxChars: number): string[][] {
  const out: string[][] = [];
  let batch: string[] = [];
  let chars = 0;
  for (const t of texts) {
    if (batch.length && (batch.length >= size || chars + t.length > maxChars)) {
      out.push(batch);
      batch = [];
      chars = 0;
    }
    batch.push(t);
    chars += t.length;
  }
  if (batch.length) out.push(batch);
  return out;
}

export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
