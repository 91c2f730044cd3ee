import { Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { notFound } from '../../common/filters/problem.js';
import { ThreadsRepository } from './threads.repository.js';
import { STORED_ROW_BYTES, StoredBytes } from '../limits/stored-bytes.js';
import type { MessageDto, ThreadDto } from './dto/threads.dto.js';

@Injectable()
export class ThreadsService {
  constructor(
    private readonly threads: ThreadsRepository,
    private readonly stored: StoredBytes,
  ) {}

  create(title: string): Promise<ThreadDto> {
    return this.threads.create(title);
  }

  async list(limit = 20, cursor?: string): Promise<Page<ThreadDto>> {
    return pageOf(await this.threads.list(limit, decodeCursor(cursor)), limit);
  }

  async get(id: string): Promise<ThreadDto> {
    return (await this.threads.get(id)) ?? Promise.reject(notFound('thread'));
  }

  async update(id: string, title?: string): Promise<ThreadDto> {
    return (await this.threads.update(id, title)) ?? Promise.reject(notFound('thread'));
  }

  async delete(id: string): Promise<void> {
    if (!(await this.threads.delete(id))) throw notFound('thread');
  }

  async addMessage(threadId: string, role: string, content: string): Promise<MessageDto> {
    // the org's room is checked in the insert itself: one round trip, as a message is the most frequent write
    const cap = await this.stored.cap();
    const adding = Buffer.byteLength(content) + STORED_ROW_BYTES;
    const { used, message } = await this.threads.addMessage(threadId, role, content, adding, cap);
    if (message) return message;
    throw used + adding > cap ? this.stored.refusal(used, adding, cap) : notFound('thread');
  }

  async listMessages(threadId: string, limit = 20, cursor?: string): Promise<Page<MessageDto>> {
    await this.get(threadId);
    const { rows, fit } = await this.threads.listMessages(threadId, limit, decodeCursor(cursor));
    return pageOf(rows, fit);
  }
}
