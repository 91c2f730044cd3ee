var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Module } from '@nestjs/common';
import { KnowledgeModule } from '../knowledge/knowledge.module.js';
import { MarketController } from './market.controller.js';
import { MarketRepository } from './market.repository.js';
import { MarketService } from './market.service.js';
/** The marketplace: publishing an org's embedded item as a listing, listing and withdrawing listings. */
let MarketModule = class MarketModule {
};
MarketModule = __decorate([
    Module({
        imports: [KnowledgeModule],
        controllers: [MarketController],
        providers: [MarketRepository, MarketService],
    })
], MarketModule);
export { MarketModule };
//# sourceMappingURL=market.module.js.map