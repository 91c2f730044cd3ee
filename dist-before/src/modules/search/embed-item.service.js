var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
var EmbedItemService_1;
import { Injectable, Logger, Optional } from '@nestjs/common';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { EmbeddingsService } from '../embeddings/embeddings.service.js';
import { WorkClass } from '../../common/fair/fair-scheduler.js';
import { ChunkEngine } from './chunk-engine.js';
import { chunkText, DEFAULT_CHUNK_OPTIONS } from './chunker.js';
import { SearchRepository } from './search.repository.js';
import { encodeVectors } from './vector-literal.js';
/**
 * The embed step of ingestion: chunk an item's text, embed the chunks in batches, upsert them
 * idempotently and mark the item ready. In three parts, so that a job runs the model outside any
 * transaction: plan() reads (in a tenant transaction), vectors() computes (needs none), write()
 * stores (in a tenant transaction). A provider failure throws (the job retries); an item with
 * nothing to embed is marked failed, which retrying would not change.
 */
let EmbedItemService = EmbedItemService_1 = class EmbedItemService {
    constructor(items, chunks, embeddings, chunker) {
        this.items = items;
        this.chunks = chunks;
        this.embeddings = embeddings;
        this.chunker = chunker;
        this.log = new Logger(EmbedItemService_1.name);
    }
    /** All three parts in the caller's tenant transaction. */
    async embedItem(knowledgeItemId, opts = DEFAULT_CHUNK_OPTIONS) {
        const plan = await this.plan(knowledgeItemId, opts);
        if (!plan)
            return { status: 'missing' };
        return this.write(plan, await this.vectors(plan));
    }
    /** null when the item is gone (deleted meanwhile: nothing to do, nothing to retry). */
    async plan(knowledgeItemId, opts = DEFAULT_CHUNK_OPTIONS) {
        const text = await this.read(knowledgeItemId);
        return text === null ? null : { itemId: knowledgeItemId, text, chunks: chunkText(text, opts), opts };
    }
    /** The item's text (read in the caller's tenant transaction); null when the item is gone. */
    async read(knowledgeItemId) {
        const found = await this.items.findText(knowledgeItemId);
        return found === undefined ? null : (found ?? '');
    }
    /** The plan for a text read by read(): chunked on the chunk engine, in `who`'s turn, outside any transaction. */
    async chunked(itemId, text, who, signal, opts = DEFAULT_CHUNK_OPTIONS) {
        const chunks = this.chunker ? await this.chunker.chunk(text, opts, who, signal) : chunkText(text, opts);
        return { itemId, text, chunks, opts };
    }
    /** Chunks the org keeps for its other items, counted up to `atMost`. */
    storedBesides(itemId, atMost) {
        return this.chunks.countChunksBesides(itemId, atMost);
    }
    /**
     * The model run (batched, each batch in the org's turn, after waiting requests), then the vectors
     * formatted for the write on the chunk engine, in `who`'s turn; no database access.
     */
    async vectors(plan, signal, who = { key: 'system', cls: WorkClass.Job }) {
        const vectors = plan.chunks.length
            ? (await this.embeddings.embed(plan.chunks, { cls: WorkClass.Job, signal })).vectors
            : [];
        return this.chunker ? this.chunker.encodeVectors(vectors, who, signal) : encodeVectors(vectors);
    }
    /**
     * Stores the chunks and settles the item. The item row is locked and re-read first: if its text
     * changed since plan() (the model ran outside the transaction), the current text is embedded
     * here instead, so chunks never describe text the item no longer has.
     */
    async write(planned, computed, who) {
        const text = await this.items.lockText(planned.itemId);
        if (text === undefined)
            return { status: 'missing' };
        let plan = planned;
        let vectors = computed;
        if ((text ?? '') !== planned.text) {
            plan = { ...planned, text: text ?? '', chunks: chunkText(text ?? '', planned.opts) };
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
};
EmbedItemService = EmbedItemService_1 = __decorate([
    Injectable(),
    __param(3, Optional()),
    __metadata("design:paramtypes", [KnowledgeService,
        SearchRepository,
        EmbeddingsService,
        ChunkEngine])
], EmbedItemService);
export { EmbedItemService };
//# sourceMappingURL=embed-item.service.js.map