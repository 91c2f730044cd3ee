/**
 * The embedding provider seam. Implementations: LocalEmbeddingProvider (offline default) and
 * OpenAiEmbeddingProvider (any OpenAI-compatible HTTP API). Both batch internally.
 */
export class EmbeddingProvider {
}
/** The model could not answer (down, timed out, bad answer): a dependency failure, 503 to clients. */
export class EmbeddingProviderError extends Error {
}
export function batches(items, size) {
    const out = [];
    for (let i = 0; i < items.length; i += size)
        out.push(items.slice(i, i + size));
    return out;
}
//# sourceMappingURL=embedding-provider.js.map