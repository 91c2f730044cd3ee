import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { OcrController } from './ocr.controller.js';
import { OcrEngineModule } from './ocr-engine.module.js';
import { OcrJobHandler } from './ocr.handler.js';
import { OcrService } from './ocr.service.js';

/** POST /v1/ocr and the ocr job handler (found by the ingest module through @JobHandler). */
@Module({
  imports: [KnowledgeModule, OcrEngineModule],
  controllers: [OcrController],
  providers: [OcrService, OcrJobHandler],
  exports: [OcrJobHandler],
})
export class OcrModule {}
