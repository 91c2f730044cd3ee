import { Injectable, Logger } from '@nestjs/common';
import { KnowledgeRepository } from '../knowledge/knowledge.repository.js';
import { EmbeddingProvider } from '../embeddings/embedding-provider.js';
import { chunkText, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './chunker.js';
import { SearchRepository } from './search.repository.js';

export type EmbedOutcome =
  { status: 'ready'; chunks: number } | { status: 'failed'; error: string } | { status: 'missing' };

/**
 * The embed step of ingestion: chunk an item's text, embed the chunks in batches, upsert them
 * idempotently and mark the item ready. Runs inside the caller's tenant transaction (a request or
 * an ingest job with the org set). A provider failure throws (the job retries); an item with
 * nothing to embed is marked failed, which retrying would not change.
 */
@Injectable()
export class EmbedItemService {
  private readonly log = new Logger(EmbedItemService.name);

  constructor(
    private readonly items: KnowledgeRepository,
    private readonly chunks: SearchRepository,
    private readonly provider: EmbeddingProvider,
  ) {}

  async embedItem(
    knowledgeItemId: string,
    opts: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
  ): Promise<EmbedOutcome> {
    const item = await this.items.get(knowledgeItemId);
    if (!item) return { status: 'missing' }; // deleted meanwhile: nothing to do, nothing to retry
    const texts = chunkText(item.content_text ?? '', opts);
    if (!texts.length) {
      await this.chunks.replaceChunks(knowledgeItemId, []);
      const error = 'the item has no text to embed';
      await this.items.setStatus(knowledgeItemId, 'failed', error);
      return { status: 'failed', error };
    }
    const { vectors } = await this.provider.embed(texts); // batched by the provider
    await this.chunks.replaceChunks(
      knowledgeItemId,
      texts.map((content, i) => ({ content, embedding: vectors[i] })),
    );
    await this.items.setStatus(knowledgeItemId, 'ready');
    this.log.log({ knowledge_item_id: knowledgeItemId, chunks: texts.length }, 'embedded');
    return { status: 'ready', chunks: texts.length };
  }
}
