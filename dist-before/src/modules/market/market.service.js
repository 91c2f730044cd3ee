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
import { conflict, notFound, ProblemException } from '../../common/filters/problem.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { LimitsService } from '../limits/limits.service.js';
import { OrgCap } from '../limits/limits.types.js';
import { decodeCursor, pageOf } from '../../common/dto/page.dto.js';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { MarketRepository } from './market.repository.js';
let MarketService = class MarketService {
    constructor(knowledge, repo, limits, tenants) {
        this.knowledge = knowledge;
        this.repo = repo;
        this.limits = limits;
        this.tenants = tenants;
    }
    /**
     * Publishes (or refreshes) an embedded knowledge item of the caller's org as a market listing.
     * The copy is stored too: it counts against the org's cap of stored chunks (private and market
     * together), past which the answer is 429 quota-exceeded and nothing is written.
     */
    async publish(knowledgeItemId) {
        const item = await this.knowledge.get(knowledgeItemId); // 404 when the org has no such item
        const chunks = item.status === 'ready' ? await this.repo.countChunks(knowledgeItemId) : 0;
        if (chunks === 0)
            throw conflict(`the knowledge item is not embedded yet (status ${item.status})`);
        await this.assertRoomFor(knowledgeItemId, chunks);
        return this.repo.publish(knowledgeItemId, item.title);
    }
    async assertRoomFor(knowledgeItemId, chunks) {
        const ctx = this.tenants.current();
        if (!ctx?.orgId)
            throw new Error('publishing outside a tenant context');
        const cap = (await this.limits.forTenant(ctx)).caps[OrgCap.StoredChunks];
        const stored = await this.repo.storedBesidesListingOf(knowledgeItemId, cap);
        if (stored + chunks <= cap)
            return;
        throw new ProblemException(429, 'quota-exceeded', `publishing this item's ${chunks} chunks would take the org past its cap of ${cap} stored chunks (${stored} stored): delete items or listings first, or have the cap raised`, { cap: OrgCap.StoredChunks, limit: cap, used: stored });
    }
    async list(limit = 20, cursor) {
        return pageOf(await this.repo.listListings(limit, decodeCursor(cursor)), limit);
    }
    async unpublish(listingId) {
        if (!(await this.repo.unpublish(listingId)))
            throw notFound('listing');
    }
};
MarketService = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [KnowledgeService,
        MarketRepository,
        LimitsService,
        TenantTransactions])
], MarketService);
export { MarketService };
//# sourceMappingURL=market.service.js.map