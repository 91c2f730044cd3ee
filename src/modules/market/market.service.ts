import { Injectable } from '@nestjs/common';
import { conflict, notFound, ProblemException } from '../../common/filters/problem.js';
import { TenantTransactions } from '../../tenancy/tenant-context.js';
import { LimitsService } from '../limits/limits.service.js';
import { OrgCap } from '../limits/limits.types.js';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { MarketRepository } from './market.repository.js';
import type { ListingDto } from './dto/market.dto.js';

@Injectable()
export class MarketService {
  constructor(
    private readonly knowledge: KnowledgeService,
    private readonly repo: MarketRepository,
    private readonly limits: LimitsService,
    private readonly tenants: TenantTransactions,
  ) {}

  /**
   * Publishes (or refreshes) an embedded knowledge item of the caller's org as a market listing.
   * The copy is stored too: it counts against the org's cap of stored chunks (private and market
   * together), past which the answer is 429 quota-exceeded and nothing is written.
   */
  async publish(knowledgeItemId: string): Promise<ListingDto> {
    // without its documents (a large item's text is megabytes); 404 when the org has no such item
    const item = await this.knowledge.find(knowledgeItemId);
    if (!item) throw notFound('knowledge item');
    const chunks = item.status === 'ready' ? await this.repo.countChunks(knowledgeItemId) : 0;
    if (chunks === 0) throw conflict(`the knowledge item is not embedded yet (status ${item.status})`);
    await this.assertRoomFor(knowledgeItemId, chunks);
    return this.repo.publish(knowledgeItemId, item.title);
  }

  private async assertRoomFor(knowledgeItemId: string, chunks: number): Promise<void> {
    const ctx = this.tenants.current();
    if (!ctx?.orgId) throw new Error('publishing outside a tenant context');
    const cap = (await this.limits.forTenant(ctx)).caps[OrgCap.StoredChunks];
    const stored = await this.repo.storedBesidesListingOf(knowledgeItemId, cap);
    if (stored + chunks <= cap) return;
    throw new ProblemException(
      429,
      'quota-exceeded',
      `publishing this item's ${chunks} chunks would take the org past its cap of ${cap} stored chunks (${stored} stored): delete items or listings first, or have the cap raised`,
      { cap: OrgCap.StoredChunks, limit: cap, used: stored },
    );
  }

  async list(limit = 20, cursor?: string): Promise<Page<ListingDto>> {
    return pageOf(await this.repo.listListings(limit, decodeCursor(cursor)), limit);
  }

  async unpublish(listingId: string): Promise<void> {
    if (!(await this.repo.unpublish(listingId))) throw notFound('listing');
  }
}
