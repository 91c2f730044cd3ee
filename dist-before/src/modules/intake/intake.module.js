var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { HtmlEngine } from './content/html.js';
import { PdfService } from './content/pdf-text.js';
import { CrawlController } from './crawl/crawl.controller.js';
import { CrawlFetcher } from './crawl/crawl.fetcher.js';
import { CrawlJobHandler } from './crawl/crawl.handler.js';
import { CrawlService } from './crawl/crawl.service.js';
import { IntakeService } from './intake.service.js';
import { KnowledgeIntakeController } from './knowledge-intake.controller.js';
import { OcrController } from './ocr/ocr.controller.js';
import { OcrEngine, TesseractCliEngine } from './ocr/ocr.engine.js';
import { OcrJobHandler } from './ocr/ocr.handler.js';
import { OcrService } from './ocr/ocr.service.js';
import { UploadService } from './upload.service.js';
/**
 * Everything that turns outside content into knowledge items: POST /v1/knowledge (text, HTML,
 * URL), uploads, POST /v1/crawl, POST /v1/ocr, and the crawl and ocr job handlers (found by the
 * ingest module through @JobHandler). Items are written through KnowledgeService; the knowledge
 * module does not know this one.
 */
let IntakeModule = class IntakeModule {
};
IntakeModule = __decorate([
    Module({
        imports: [KnowledgeModule],
        // KnowledgeIntakeController's static `upload` path is registered before the knowledge module's
        // `:id` routes: AppModule imports this module before KnowledgeModule.
        controllers: [KnowledgeIntakeController, CrawlController, OcrController],
        providers: [
            IntakeService,
            UploadService,
            CrawlFetcher,
            CrawlService,
            CrawlJobHandler,
            { provide: OcrEngine, useClass: TesseractCliEngine },
            HtmlEngine,
            PdfService,
            OcrService,
            OcrJobHandler,
        ],
        exports: [CrawlService, CrawlJobHandler, OcrJobHandler],
    })
], IntakeModule);
export { IntakeModule };
//# sourceMappingURL=intake.module.js.map