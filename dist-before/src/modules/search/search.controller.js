var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoOrg, NoTransaction } from '../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { MarketSearchAnswerDto, PrivateSearchAnswerDto, SearchDto, SearchMode } from './dto/search.dto.js';
import { SearchService } from './search.service.js';
let SearchController = class SearchController {
    constructor(search) {
        this.search = search;
    }
    private(body) {
        return this.search.searchPrivate(body.query, body.k ?? 10, body.mode ?? SearchMode.Vector);
    }
    market(body) {
        return this.search.searchMarket(body.query, body.k ?? 10, body.mode ?? SearchMode.Vector);
    }
};
__decorate([
    Post('private'),
    NoTransaction() // the service embeds first, then reads in a short transaction of its own
    ,
    RateLimit(RatePolicy.Search),
    HttpCode(200),
    ApiOkResponse({ type: PrivateSearchAnswerDto }),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [SearchDto]),
    __metadata("design:returntype", Promise)
], SearchController.prototype, "private", null);
__decorate([
    Post('market'),
    NoOrg(),
    NoTransaction() // the service embeds first, then reads in a short transaction of its own
    ,
    RateLimit(RatePolicy.Search),
    HttpCode(200),
    ApiOkResponse({ type: MarketSearchAnswerDto }),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [SearchDto]),
    __metadata("design:returntype", Promise)
], SearchController.prototype, "market", null);
SearchController = __decorate([
    ApiTags('search'),
    ApiBearerAuth(),
    Controller('v1/search'),
    __metadata("design:paramtypes", [SearchService])
], SearchController);
export { SearchController };
//# sourceMappingURL=search.controller.js.map