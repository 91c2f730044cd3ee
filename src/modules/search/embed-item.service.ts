import { Injectable, Logger, Optional } from '@nestjs/common';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { EmbeddingsService } from '../embeddings/embeddings.service.js';
import { WorkClass, type EngineCaller } from '../../common/fair/fair-scheduler.js';
import { ChunkEngine } from './chunk-engine.js';
import { chunkText, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './chunker.js';
import { SearchRepository } from './search.repository.js';
import { encodeVectors, type EncodedVectors } from './vector-literal.js';

export type EmbedOutcome =
  { status: 'ready'; chunks: number } | { status: 'failed'; error: string } | { status: 'missing' };

/** The item's text as read ('' for none) and its md5 as Postgres computed it (null for none). */
export interface ReadText {
  text: string;
  digest: string | null;
}

/** What to embed: the item's text as read, its md5, and its chunks. */
export interface EmbedPlan extends ReadText {
  itemId: string;
  chunks: string[];
  opts: ChunkOptions;
}

/**
 * The embed step of ingestion: chunk an item's text, embed the chunks in batches, upsert them
 * idempotently and mark the item ready. In three parts, so that a job runs the model outside any
 * transaction: plan() reads (in a tenant transaction), vectors() computes (needs none), write()
 * stores (in a tenant transaction). A provider failure throws (the job retries); an item with
 * nothing to embed is marked failed, which retrying would not change.
 */
@Injectable()
export class EmbedItemService {
  private readonly log = new Logger(EmbedItemService.name);

  constructor(
    private readonly items: KnowledgeService,
    private readonly chunks: SearchRepository,
    private readonly embeddings: EmbeddingsService,
    /** Chunks long texts off the event loop; without it (unit specs) chunking runs in place. */
    @Optional() private readonly chunker?: ChunkEngine,
  ) {}

  /** All three parts in the caller's tenant transaction. */
  async embedItem(
    knowledgeItemId: string,
    opts: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
  ): Promise<EmbedOutcome> {
    const plan = await this.plan(knowledgeItemId, opts);
    if (!plan) return { status: 'missing' };
    return this.write(plan, await this.vectors(plan));
  }

  /** null when the item is gone (deleted meanwhile: nothing to do, nothing to retry). */
  async plan(knowledgeItemId: string, opts: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Promise<EmbedPlan | null> {
    const read = await this.read(knowledgeItemId);
    return read === null ? null : { itemId: knowledgeItemId, ...read, chunks: chunkText(read.text, opts), opts };
  }

  /** The item's text (read in the caller's tenant transaction); null when the item is gone. */
  async read(knowledgeItemId: string): Promise<ReadText | null> {
    const found = await this.items.findText(knowledgeItemId);
    return found === undefined ? null : { text: found.text ?? '', digest: found.digest };
  }

  /** The plan for a text read by read(): chunked on the chunk engine, in `who`'s turn, outside any transaction. */
  async chunked(
    itemId: string,
    read: ReadText,
    who: EngineCaller,
    signal?: AbortSignal,
    opts: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
  ): Promise<EmbedPlan> {
    const chunks = this.chunker ? await this.chunker.chunk(read.text, opts, who, signal) : chunkText(read.text, opts);
    return { itemId, ...read, chunks, opts };
  }

  /** Chunks the org keeps for its other items, counted up to `atMost`. */
  storedBesides(itemId: string, atMost: number): Promise<number> {
    return this.chunks.countChunksBesides(itemId, atMost);
  }

  /**
   * The model run (batched, each batch in the org's turn, after waiting requests), then the vectors
   * formatted for the write on the chunk engine, in `who`'s turn; no database access.
   */
  async vectors(
    plan: EmbedPlan,
    signal?: AbortSignal,
    who: EngineCaller = { key: 'system', cls: WorkClass.Job },
    onBatch?: (texts: string[]) => void,
  ): Promise<EncodedVectors> {
    const vectors = plan.chunks.length
      ? (await this.embeddings.embed(plan.chunks, { cls: WorkClass.Job, signal, onBatch })).vectors
      : [];
    return this.chunker ? this.chunker.encodeVectors(vectors, who, signal) : encodeVectors(vectors);
  }

  /**
   * Stores the chunks and settles the item. The item row is locked first and its text's md5
   * compared with the plan's (in Postgres: a multi-MB text is not sent and parsed again): if the
   * text changed since plan() (the model ran outside the transaction), the current text is read and
   * embedded here instead, so chunks never describe text the item no longer has.
   */
  async write(planned: EmbedPlan, computed: EncodedVectors, who?: EngineCaller): Promise<EmbedOutcome> {
    const digest = await this.items.lockTextDigest(planned.itemId);
    if (digest === undefined) return { status: 'missing' };
    let plan = planned;
    let vectors = computed;
    if (digest !== planned.digest) {
      const current = await this.read(planned.itemId);
      if (!current) return { status: 'missing' };
      plan = { ...planned, ...current, chunks: chunkText(current.text, planned.opts) };
      vectors = await this.vectors(plan, undefined, who);
    }
    const { itemId, chunks: texts } = plan;
    if (!texts.length) {
      await this.chunks.replaceChunks(itemId, [], vectors);
      const error = 'the item has no text to embed';
      await this.items.setStatus(itemId, 'failed', error);
      return { status: 'failed', error };
    }
    await this.chunks.replaceChunks(itemId, texts, vectors);
    await this.items.setStatus(itemId, 'ready');
    this.log.log({ knowledge_item_id: itemId, chunks: texts.length }, 'embedded');
    return { status: 'ready', chunks: texts.length };
  }
}
