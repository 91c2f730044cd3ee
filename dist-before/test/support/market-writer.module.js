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
import { Controller, HttpCode, Inject, Module, Param, Post } from '@nestjs/common';
import { Roles } from '../../src/common/decorators/auth.decorators.js';
import { UuidPipe } from '../../src/common/pipes/uuid.pipe.js';
import { TenantDb } from '../../src/tenancy/tenant-context.js';
/**
 * Test-only route standing in for a bug in the market path: it copies the caller org's private
 * chunks into whatever listing the path names, trusting the caller. The database must still refuse
 * another org's listing, and the answer must be a clean 4xx.
 */
let MarketWriterController = class MarketWriterController {
    constructor(db) {
        this.db = db;
    }
    async copyInto(listingId) {
        const { orgId } = this.db.context();
        const rows = await this.db.query(`INSERT INTO market_chunks (listing_id, publisher_org_id, chunk_index, content, embedding)
       SELECT $1, c.org_id, 1000 + c.chunk_index, c.content, c.embedding FROM private_chunks c WHERE c.org_id = $2
       RETURNING id`, [listingId, orgId]);
        return { written: rows.length };
    }
};
__decorate([
    Post('listings/:id/chunks'),
    Roles('admin'),
    HttpCode(201),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], MarketWriterController.prototype, "copyInto", null);
MarketWriterController = __decorate([
    Controller('test/market'),
    __param(0, Inject(TenantDb)),
    __metadata("design:paramtypes", [TenantDb])
], MarketWriterController);
let MarketWriterTestModule = class MarketWriterTestModule {
};
MarketWriterTestModule = __decorate([
    Module({ controllers: [MarketWriterController] })
], MarketWriterTestModule);
export { MarketWriterTestModule };
//# sourceMappingURL=market-writer.module.js.map