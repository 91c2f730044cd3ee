var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Module } from '@nestjs/common';
import { KnowledgeController } from './knowledge.controller.js';
import { KnowledgeRepository } from './knowledge.repository.js';
import { KnowledgeService } from './knowledge.service.js';
/**
 * Knowledge items (knowledge_items and their blobs): GET and DELETE /v1/knowledge, and
 * KnowledgeService, through which every producer (intake) and consumer (search, market) reaches
 * them. Imports no producer: intake imports this module, never the reverse.
 */
let KnowledgeModule = class KnowledgeModule {
};
KnowledgeModule = __decorate([
    Module({
        controllers: [KnowledgeController],
        providers: [KnowledgeService, KnowledgeRepository],
        exports: [KnowledgeService],
    })
], KnowledgeModule);
export { KnowledgeModule };
//# sourceMappingURL=knowledge.module.js.map