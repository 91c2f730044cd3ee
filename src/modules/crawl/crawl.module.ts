import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { CrawlController } from './crawl.controller.js';
import { CrawlFetcher } from './crawl.fetcher.js';
import { CrawlJobHandler } from './crawl.handler.js';
import { CrawlService } from './crawl.service.js';

/** POST /v1/crawl and the crawl job handler (found by the ingest module through @JobHandler). */
@Module({
  imports: [KnowledgeModule],
  controllers: [CrawlController],
  providers: [CrawlFetcher, CrawlService, CrawlJobHandler],
  exports: [CrawlService, CrawlJobHandler],
})
export class CrawlModule {}
