import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { MarketController } from './market.controller.js';
import { MarketRepository } from './market.repository.js';
import { MarketService } from './market.service.js';

/** The marketplace: publishing an org's embedded item as a listing, listing and withdrawing listings. */
@Module({
  imports: [KnowledgeModule],
  controllers: [MarketController],
  providers: [MarketRepository, MarketService],
})
export class MarketModule {}
