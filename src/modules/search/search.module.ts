import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { EmbedItemService } from './embed-item.service.js';
import { EmbedJobHandler } from './embed.handler.js';
import { MarketController } from './market.controller.js';
import { MarketService } from './market.service.js';
import { SearchController } from './search.controller.js';
import { SearchRepository } from './search.repository.js';
import { SearchService } from './search.service.js';

/** Private and marketplace search, publishing, and the embed step of ingestion. */
@Module({
  imports: [KnowledgeModule],
  controllers: [SearchController, MarketController],
  providers: [SearchRepository, SearchService, MarketService, EmbedItemService, EmbedJobHandler],
  exports: [EmbedItemService, EmbedJobHandler],
})
export class SearchModule {}
