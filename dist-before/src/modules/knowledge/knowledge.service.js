var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { decodeCursor, pageOf } from '../../common/dto/page.dto.js';
import { conflict, notFound } from '../../common/filters/problem.js';
import { hasOrgRole } from '../../tenancy/tenant-context.js';
import { IngestEnqueuer, JobKind, JobPriorityClass } from '../ingest/ingest.types.js';
import { KnowledgeRepository } from './knowledge.repository.js';
/**
 * Knowledge items: the one way to create, read, fill and delete them. Producers (intake: text,
 * HTML, URLs, uploads, OCR) and consumers (search's embed step, the market) go through this
 * service; none of them touches knowledge_items or knowledge_blobs directly. Every method runs in
 * the caller's tenant transaction.
 */
let KnowledgeService = class KnowledgeService {
    constructor(items, 
    // The ingest module (global) provides it: the outbox row joins this request's transaction.
    enqueuer) {
        this.items = items;
        this.enqueuer = enqueuer;
    }
    /**
     * An item whose text is already in place, handed to the embed job in the same transaction
     * (transactional outbox): both commit or neither does.
     */
    async create(item) {
        const created = await this.items.create(item);
        await this.requestEmbedding(created.id);
        return created;
    }
    /** An item whose text comes later (a crawl or an ocr job fills it in with setContent). */
    createPending(item) {
        return this.items.create(item);
    }
    /**
     * The item's text is in place: hand it to the embed job (same transaction). The one place where
     * text, html, uploads, crawls and OCR ask for embedding. `followUp`: asked by a finishing crawl
     * or ocr job, whose place in the org's queue it takes (not refused by the queued-jobs cap).
     */
    async requestEmbedding(itemId, opts = {}) {
        await this.enqueuer.enqueue(JobKind.Embed, { knowledge_item_id: itemId }, {
            knowledgeItemId: itemId,
            priorityClass: JobPriorityClass.Interactive,
            idempotencyKey: `embed:${itemId}`,
            followUp: opts.followUp,
        });
    }
    /** Stores fetched or recognised text into an item; false when the item is gone. */
    setContent(id, c) {
        return this.items.setContent(id, c);
    }
    /** Bytes a job still has to read (an image waiting for OCR). */
    putBlob(itemId, mimeType, data) {
        return this.items.putBlob(itemId, mimeType, data);
    }
    getBlob(itemId) {
        return this.items.getBlob(itemId);
    }
    /** false when there was no blob (already consumed by an earlier delivery, or the item is gone). */
    deleteBlob(itemId) {
        return this.items.deleteBlob(itemId);
    }
    /** Locks the item row for this transaction and answers its text (undefined: no such item). */
    lockText(id) {
        return this.items.lockText(id);
    }
    setStatus(id, status, error = null) {
        return this.items.setStatus(id, status, error);
    }
    /**
     * The item's text, or undefined when the org has none with this id (jobs: deleted meanwhile).
     * Without its HTML: a large upload's HTML read and decoded just to be dropped stalls the event loop.
     */
    findText(id) {
        return this.items.text(id);
    }
    /** The item, or undefined when the org has none with this id (jobs: deleted meanwhile). */
    find(id) {
        return this.items.get(id);
    }
    async list(limit = 20, cursor) {
        return pageOf(await this.items.list(limit, decodeCursor(cursor)), limit);
    }
    async get(id) {
        return (await this.items.get(id)) ?? Promise.reject(notFound('knowledge item'));
    }
    /**
     * Deletes the item and everything derived from it, its market listing included. Unpublishing is
     * an admin's decision: a member may delete a published item only once an admin has unpublished it.
     */
    async delete(id, actor) {
        // Only a non-admin needs to know whether the item is published (one query fewer for admins).
        const listing = actor.isSuperAdmin || hasOrgRole(actor, 'admin') ? null : await this.items.listingOf(id);
        if (listing) {
            throw conflict(`this knowledge item is published to the market (listing ${listing}); an admin must delete it or unpublish it first`);
        }
        if (!(await this.items.delete(id)))
            throw notFound('knowledge item');
    }
};
KnowledgeService = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [KnowledgeRepository,
        IngestEnqueuer])
], KnowledgeService);
export { KnowledgeService };
//# sourceMappingURL=knowledge.service.js.map