import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { ChunkEngine } from './chunk-engine.js';
import { EmbedItemService } from './embed-item.service.js';
import { EmbedJobHandler } from './embed.handler.js';
import { SearchController } from './search.controller.js';
import { SearchRepository } from './search.repository.js';
import { SearchService } from './search.service.js';

/** Private and marketplace search, and the embed step of ingestion (which builds the private index). */
@Module({
  imports: [KnowledgeModule],
  controllers: [SearchController],
  providers: [SearchRepository, SearchService, ChunkEngine, EmbedItemService, EmbedJobHandler],
  exports: [EmbedItemService, EmbedJobHandler],
})
export class SearchModule {}
