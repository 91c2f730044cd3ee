import { Module } from '@nestjs/common';
import { KnowledgeController } from './knowledge.controller.js';
import { KnowledgeRepository } from './knowledge.repository.js';
import { KnowledgeService } from './knowledge.service.js';

/**
 * Knowledge items (knowledge_items and their blobs): GET and DELETE /v1/knowledge, and
 * KnowledgeService, through which every producer (intake) and consumer (search, market) reaches
 * them. Imports no producer: intake imports this module, never the reverse.
 */
@Module({
  controllers: [KnowledgeController],
  providers: [KnowledgeService, KnowledgeRepository],
  exports: [KnowledgeService],
})
export class KnowledgeModule {}
