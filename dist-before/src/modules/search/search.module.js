var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { ChunkEngine } from './chunk-engine.js';
import { EmbedItemService } from './embed-item.service.js';
import { EmbedJobHandler } from './embed.handler.js';
import { SearchController } from './search.controller.js';
import { SearchRepository } from './search.repository.js';
import { SearchService } from './search.service.js';
/** Private and marketplace search, and the embed step of ingestion (which builds the private index). */
let SearchModule = class SearchModule {
};
SearchModule = __decorate([
    Module({
        imports: [KnowledgeModule],
        controllers: [SearchController],
        providers: [SearchRepository, SearchService, ChunkEngine, EmbedItemService, EmbedJobHandler],
        exports: [EmbedItemService, EmbedJobHandler],
    })
], SearchModule);
export { SearchModule };
//# sourceMappingURL=search.module.js.map