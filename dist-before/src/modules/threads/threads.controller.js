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
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../common/decorators/auth.decorators.js';
import { PageQueryDto } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { CreateMessageDto, CreateThreadDto, MessageDto, MessagePageDto, ThreadDto, ThreadPageDto, UpdateThreadDto } from './dto/threads.dto.js';
import { ThreadsService } from './threads.service.js';
let ThreadsController = class ThreadsController {
    constructor(threads) {
        this.threads = threads;
    }
    create(body) {
        return this.threads.create(body.title);
    }
    list(q) {
        return this.threads.list(q.limit, q.cursor);
    }
    get(id) {
        return this.threads.get(id);
    }
    update(id, body) {
        return this.threads.update(id, body.title);
    }
    delete(id) {
        return this.threads.delete(id);
    }
    addMessage(id, body) {
        return this.threads.addMessage(id, body.role, body.content);
    }
    listMessages(id, q) {
        return this.threads.listMessages(id, q.limit, q.cursor);
    }
};
__decorate([
    Post(),
    Roles('member'),
    ApiOkResponse({ type: ThreadDto }),
    __param(0, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [CreateThreadDto]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "create", null);
__decorate([
    Get(),
    ApiOkResponse({ type: ThreadPageDto }),
    __param(0, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [PageQueryDto]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "list", null);
__decorate([
    Get(':id'),
    ApiOkResponse({ type: ThreadDto }),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "get", null);
__decorate([
    Patch(':id'),
    Roles('member'),
    ApiOkResponse({ type: ThreadDto }),
    __param(0, Param('id', UuidPipe)),
    __param(1, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String, UpdateThreadDto]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "update", null);
__decorate([
    Delete(':id'),
    Roles('member'),
    HttpCode(204),
    __param(0, Param('id', UuidPipe)),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "delete", null);
__decorate([
    Post(':id/messages'),
    Roles('member'),
    ApiOkResponse({ type: MessageDto }),
    __param(0, Param('id', UuidPipe)),
    __param(1, Body()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String, CreateMessageDto]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "addMessage", null);
__decorate([
    Get(':id/messages'),
    ApiOkResponse({ type: MessagePageDto }),
    __param(0, Param('id', UuidPipe)),
    __param(1, Query()),
    __metadata("design:type", Function),
    __metadata("design:paramtypes", [String, PageQueryDto]),
    __metadata("design:returntype", Promise)
], ThreadsController.prototype, "listMessages", null);
ThreadsController = __decorate([
    ApiTags('threads'),
    ApiBearerAuth(),
    Controller('v1/threads'),
    __metadata("design:paramtypes", [ThreadsService])
], ThreadsController);
export { ThreadsController };
//# sourceMappingURL=threads.controller.js.map