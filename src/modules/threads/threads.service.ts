import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { LargeAnswers, READ_SLICE_BYTES } from '../../common/admission/answer-slots.js';
import { fairKey } from '../../common/fair/fair-scheduler.js';
import { JSON_STRING_GROWTH, jsonPageStream, jsonStringBytes } from '../../common/http/json-stream.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { notFound } from '../../common/filters/problem.js';
import { ThreadsRepository } from './threads.repository.js';
import { STORED_ROW_BYTES, StoredBytes } from '../limits/stored-bytes.js';
import type { MessageDto, ThreadDto } from './dto/threads.dto.js';

/** Content a page of messages answers in one piece; past it the page is streamed. */
const PAGE_INLINE_BYTES = 64 * 1024;

@Injectable()
export class ThreadsService {
  constructor(
    private readonly threads: ThreadsRepository,
    private readonly stored: StoredBytes,
    private readonly tenants: TenantTransactions,
    private readonly answers: LargeAnswers,
  ) {}

  /** A thread row counts toward the org's stored bytes (its title and STORED_ROW_BYTES). */
  async create(title: string): Promise<ThreadDto> {
    await this.stored.assertRoom(Buffer.byteLength(title));
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

  /**
   * A page of the thread's messages (up to 256 KiB of content: MESSAGE_PAGE_BYTES), for the
   * caller's org, in transactions of its own (the route holds none). A page with a message over
   * READ_SLICE_BYTES, or with more than PAGE_INLINE_BYTES of content as JSON, is the same JSON written as a
   * stream: its long messages read in slices and escaped a slice per turn of the event loop, one
   * such answer per org at a time (LargeAnswers), so reading pages of long messages over and over
   * costs the other orgs no long stretch of the loop and no large strings to collect.
   */
  async listMessages(tenant: TenantContext, threadId: string, limit = 20, cursor?: string): Promise<Page<MessageDto> | Readable> {
    const after = decodeCursor(cursor);
    const { rows, fit } = await this.tenants.run(tenant, async () => {
      await this.get(threadId);
      return this.threads.listMessages(threadId, limit, after, READ_SLICE_BYTES);
    });
    const { data, next_cursor } = pageOf(rows, fit);
    // by the contents' JSON, which a text of control characters makes six times its size
    const stored = data.reduce((n, m) => n + m.bytes, 0);
    const bytes = stored * JSON_STRING_GROWTH <= PAGE_INLINE_BYTES ? stored : data.reduce((n, m) => n + (m.sliced ? m.bytes : jsonStringBytes(m.content!, m.bytes)), 0);
    const inline = !data.some((m) => m.sliced) && bytes <= PAGE_INLINE_BYTES;
    if (inline) return { data: data.map(({ bytes: _, sliced: __, ...m }) => ({ ...m, content: m.content! })), next_cursor };
    return this.answers.stream(fairKey(tenant), bytes, async () => {
      const ids = data.filter((m) => m.sliced).map((m) => m.id);
      const slices = ids.length ? await this.tenants.run(tenant, () => this.threads.messageSlices(threadId, ids, READ_SLICE_BYTES)) : new Map<string, string[]>();
      const messages = data.map(({ bytes: _, sliced, content, ...head }) => {
        const parts = sliced ? slices.get(head.id) : [content!];
        if (!parts) throw notFound('thread'); // deleted meanwhile
        return { head, members: [{ key: 'content', slices: parts }] };
      });
      return jsonPageStream(messages, next_cursor);
    });
  }
}
