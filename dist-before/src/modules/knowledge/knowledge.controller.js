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
import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, Roles } from '../../common/decorators/auth.decorators.js';
import { PageQueryDto } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { KnowledgeItemDetailDto, KnowledgeItemPageDto } from './dto/knowledge.dto.js';
import { KnowledgeService } from './knowledge.service.js';
/**
 * Reading and deleting items. Items are created by the intake module's routes on the same path
 * (POST /v1/knowledge, POST /v1/knowledge/upload), which call KnowledgeService.
 */
let KnowledgeController = class KnowledgeController {
    constructor(knowledge) {
        this.knowledge = knowledge;
    }
    list(q) {
        return this.knowledge.list(q.limit, q.cursor);
    }
    get(id) {
        return this.knowledge.get(id);
    }
    delete(id, actor) {
        return this.knowledge.delete(id, actor);
    }
};
__decorate([
    Get(),
    ApiOkResponse({ type: KnowledgeItemPageDto }),
    __param(0, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [PageQueryDto]),
    __metadata("design:returntype", Promise)
], KnowledgeController.prototype, "list", null);
__decorate([
    Get(':id'),
    ApiOkResponse({ type: KnowledgeItemDetailDto }),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], KnowledgeController.prototype, "get", null);
__decorate([
    Delete(':id'),
    Roles('member'),
    HttpCode(204),
    ApiNoContentResponse({ description: 'Deleted, with its chunks, jobs and market listing' }),
    ApiConflictResponse({ description: 'Published to the market and the caller is not an admin: an admin must unpublish it first' }),
    __param(0, Param('id', UuidPipe)),
    __param(1, CurrentTenant()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String, Object]),
    __metadata("design:returntype", Promise)
], KnowledgeController.prototype, "delete", null);
KnowledgeController = __decorate([
    ApiTags('knowledge'),
    ApiBearerAuth(),
    Controller('v1/knowledge'),
    __metadata("design:paramtypes", [KnowledgeService])
], KnowledgeController);
export { KnowledgeController };
//# sourceMappingURL=knowledge.controller.js.map