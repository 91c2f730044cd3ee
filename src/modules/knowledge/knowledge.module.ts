import { Module } from '@nestjs/common';
import { OcrEngineModule } from '../ocr/ocr-engine.module.js';
import { KnowledgeController } from './knowledge.controller.js';
import { KnowledgeRepository } from './knowledge.repository.js';
import { KnowledgeService } from './knowledge.service.js';
import { KnowledgeUploadController } from './knowledge-upload.controller.js';
import { UploadService } from './upload.service.js';

@Module({
  imports: [OcrEngineModule],
  // The upload controller first: its static `upload` path must not be shadowed by `:id` routes.
  controllers: [KnowledgeUploadController, KnowledgeController],
  providers: [KnowledgeService, KnowledgeRepository, UploadService],
  exports: [KnowledgeService, KnowledgeRepository, UploadService],
})
export class KnowledgeModule {}
