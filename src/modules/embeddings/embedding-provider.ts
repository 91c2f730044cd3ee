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
}

/** The model could not answer (down, timed out, bad answer): a dependency failure, 503 to clients. */
export class EmbeddingProviderError extends Error {}

export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
