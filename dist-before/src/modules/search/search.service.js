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
import { EmbeddingsService } from '../embeddings/embeddings.service.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { FlagKey } from '../flags/flag-key.js';
import { FlagsService } from '../flags/flags.service.js';
import { reciprocalRankFusion } from './rrf.js';
import { SearchRepository } from './search.repository.js';
import { SearchMode } from './dto/search.dto.js';
/** Candidates each list contributes to hybrid fusion. */
const fusionDepth = (k) => Math.min(100, Math.max(2 * k, 20));
let SearchService = class SearchService {
    constructor(repo, embeddings, tenants, flags) {
        this.repo = repo;
        this.embeddings = embeddings;
        this.tenants = tenants;
        this.flags = flags;
    }
    /**
     * The query is embedded before the tenant transaction opens (the routes run without one), so a
     * search waiting for the model holds no database connection; the reads then run in one short
     * transaction with the caller's context.
     */
    context() {
        const ctx = this.tenants.current();
        if (!ctx)
            throw new Error('search outside a tenant context');
        return ctx;
    }
    /**
     * The mode the search runs in: hybrid only when asked for AND the caller's org has
     * `hybrid_search` on; otherwise vector (and the answer says so).
     */
    async modeFor(ctx, requested) {
        if (requested !== SearchMode.Hybrid)
            return SearchMode.Vector;
        return (await this.flags.isEnabled(ctx, FlagKey.HybridSearch)) ? SearchMode.Hybrid : SearchMode.Vector;
    }
    async embedQuery(query) {
        return (await this.embeddings.embed([query])).vectors[0];
    }
    fuse(vector, text, k) {
        return reciprocalRankFusion([vector, text], (r) => r.id)
            .slice(0, k)
            .map(({ item, score }) => ({ ...item, score }));
    }
    async searchPrivate(query, k, requested) {
        const ctx = this.context();
        const mode = await this.modeFor(ctx, requested);
        const embedding = await this.embedQuery(query);
        const rows = await this.tenants.run(ctx, async () => {
            if (mode !== SearchMode.Hybrid)
                return this.repo.matchPrivate(embedding, k);
            const depth = fusionDepth(k);
            const vector = await this.repo.matchPrivate(embedding, depth);
            const text = await this.repo.textPrivate(query, depth);
            return this.fuse(vector, text, k);
        });
        const data = rows.map((r) => ({
            chunk_id: r.id,
            knowledge_item_id: r.knowledge_item_id,
            chunk_index: r.chunk_index,
            content: r.content,
            score: Number(r.score),
        }));
        return { data, mode };
    }
    async searchMarket(query, k, requested) {
        const ctx = this.context();
        const mode = await this.modeFor(ctx, requested);
        const embedding = await this.embedQuery(query);
        const rows = await this.tenants.run(ctx, async () => {
            if (mode !== SearchMode.Hybrid)
                return this.repo.matchMarket(embedding, k);
            const depth = fusionDepth(k);
            const vector = await this.repo.matchMarket(embedding, depth);
            const text = await this.repo.textMarket(query, depth);
            return this.fuse(vector, text, k);
        });
        const data = rows.map((r) => ({
            chunk_id: r.id,
            listing_id: r.listing_id,
            chunk_index: r.chunk_index,
            content: r.content,
            score: Number(r.score),
        }));
        return { data, mode };
    }
};
SearchService = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [SearchRepository,
        EmbeddingsService,
        TenantTransactions,
        FlagsService])
], SearchService);
export { SearchService };
//# sourceMappingURL=search.service.js.map