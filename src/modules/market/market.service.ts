import { Injectable } from '@nestjs/common';
import { conflict, notFound } from '../../common/filters/problem.js';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { KnowledgeService } from '../knowledge/knowledge.service.js';
import { MarketRepository } from './market.repository.js';
import type { ListingDto } from './dto/market.dto.js';

@Injectable()
export class MarketService {
  constructor(
    private readonly knowledge: KnowledgeService,
    private readonly repo: MarketRepository,
  ) {}

  /** Publishes (or refreshes) an embedded knowledge item of the caller's org as a market listing. */
  async publish(knowledgeItemId: string): Promise<ListingDto> {
    const item = await this.knowledge.get(knowledgeItemId); // 404 when the org has no such item
    if (item.status !== 'ready' || (await this.repo.countChunks(knowledgeItemId)) === 0) {
      throw conflict(`the knowledge item is not embedded yet (status ${item.status})`);
    }
    return this.repo.publish(knowledgeItemId, item.title);
  }

  async list(limit = 20, cursor?: string): Promise<Page<ListingDto>> {
    return pageOf(await this.repo.listListings(limit, decodeCursor(cursor)), limit);
  }

  async unpublish(listingId: string): Promise<void> {
    if (!(await this.repo.unpublish(listingId))) throw notFound('listing');
  }
}
