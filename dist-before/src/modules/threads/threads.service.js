var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { decodeCursor, pageOf } from '../../common/dto/page.dto.js';
import { notFound } from '../../common/filters/problem.js';
import { ThreadsRepository } from './threads.repository.js';
let ThreadsService = class ThreadsService {
    constructor(threads) {
        this.threads = threads;
    }
    create(title) {
        return this.threads.create(title);
    }
    async list(limit = 20, cursor) {
        return pageOf(await this.threads.list(limit, decodeCursor(cursor)), limit);
    }
    async get(id) {
        return (await this.threads.get(id)) ?? Promise.reject(notFound('thread'));
    }
    async update(id, title) {
        return (await this.threads.update(id, title)) ?? Promise.reject(notFound('thread'));
    }
    async delete(id) {
        if (!(await this.threads.delete(id)))
            throw notFound('thread');
    }
    async addMessage(threadId, role, content) {
        return (await this.threads.addMessage(threadId, role, content)) ?? Promise.reject(notFound('thread'));
    }
    async listMessages(threadId, limit = 20, cursor) {
        await this.get(threadId);
        return pageOf(await this.threads.listMessages(threadId, limit, decodeCursor(cursor)), limit);
    }
};
ThreadsService = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [ThreadsRepository])
], ThreadsService);
export { ThreadsService };
//# sourceMappingURL=threads.service.js.map