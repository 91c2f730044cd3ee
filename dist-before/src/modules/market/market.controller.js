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
import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, } from '@nestjs/swagger';
import { NoOrg, Roles } from '../../common/decorators/auth.decorators.js';
import { PageQueryDto } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { FlagKey } from '../flags/flag-key.js';
import { RequireFlag } from '../flags/require-flag.decorator.js';
import { ListingDto, ListingPageDto } from './dto/market.dto.js';
import { MarketService } from './market.service.js';
let MarketController = class MarketController {
    constructor(market) {
        this.market = market;
    }
    publish(id) {
        return this.market.publish(id);
    }
    list(q) {
        return this.market.list(q.limit, q.cursor);
    }
    unpublish(id) {
        return this.market.unpublish(id);
    }
};
__decorate([
    Post('knowledge/:id/publish'),
    Roles('admin'),
    RequireFlag(FlagKey.MarketPublish),
    ApiOperation({
        summary: 'Publish an embedded knowledge item as a market listing (or refresh its listing)',
        description: 'Behind the `market_publish` flag (default on): for an org that has it off the route answers 404, ' +
            'like an unknown route. Withdrawing a listing (DELETE /v1/market/listings/{id}) is not gated.',
    }),
    ApiCreatedResponse({ type: ListingDto }),
    ApiNotFoundResponse({
        description: "absent or another org's item, or `market_publish` is off for the org",
    }),
    ApiConflictResponse({ description: 'the item is not embedded yet' }),
    ApiTooManyRequestsResponse({
        description: 'rate-limited, or quota-exceeded (`cap: stored_chunks`): the copy would take the org past its cap of chunks stored in the private and market indexes together',
    }),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], MarketController.prototype, "publish", null);
__decorate([
    Get('market/listings'),
    NoOrg(),
    ApiOkResponse({ type: ListingPageDto }),
    __param(0, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [PageQueryDto]),
    __metadata("design:returntype", Promise)
], MarketController.prototype, "list", null);
__decorate([
    Delete('market/listings/:id'),
    Roles('admin'),
    HttpCode(204),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], MarketController.prototype, "unpublish", null);
MarketController = __decorate([
    ApiTags('marketplace'),
    ApiBearerAuth(),
    Controller('v1'),
    __metadata("design:paramtypes", [MarketService])
], MarketController);
export { MarketController };
//# sourceMappingURL=market.controller.js.map