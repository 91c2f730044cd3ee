import { Injectable } from '@nestjs/common';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { notFound, ProblemException } from '../../common/filters/problem.js';
import { KnowledgeRepository } from './knowledge.repository.js';
import { IngestEnqueuer, JobKind } from '../ingest/ingest.types.js';
import { htmlToText, sanitize } from './html.js';
import type { CreateKnowledgeDto, KnowledgeItemDetailDto, KnowledgeItemDto } from './dto/knowledge.dto.js';

@Injectable()
export class KnowledgeService {
  constructor(
    private readonly items: KnowledgeRepository,
    private readonly ingest: IngestEnqueuer,
  ) {}

  async create(body: CreateKnowledgeDto): Promise<KnowledgeItemDto> {
    const given = [body.text, body.html, body.url].filter((v) => v !== undefined).length;
    if (given !== 1) {
      throw new ProblemException(422, 'validation', 'give exactly one of text, html or url', {
        errors: { body: ['exactly one of text, html or url is required'] },
      });
    }
    if (body.url !== undefined) {
      throw new ProblemException(422, 'not-available', 'URL ingestion is not available yet');
    }
    let item: KnowledgeItemDto;
    if (body.html !== undefined) {
      const clean = sanitize(body.html);
      item = await this.items.create({ title: body.title, sourceKind: 'html', contentHtml: clean, contentText: htmlToText(clean) });
    } else {
      item = await this.items.create({ title: body.title, sourceKind: 'text', contentText: body.text! });
    }
    // Same transaction as the item (outbox): both commit or neither does.
    await this.ingest.enqueue(JobKind.Embed, { knowledge_item_id: item.id }, { knowledgeItemId: item.id });
    return item;
  }

  async list(limit = 20, cursor?: string): Promise<Page<KnowledgeItemDto>> {
    return pageOf(await this.items.list(limit, decodeCursor(cursor)), limit);
  }

  async get(id: string): Promise<KnowledgeItemDetailDto> {
    return (await this.items.get(id)) ?? Promise.reject(notFound('knowledge item'));
  }

  async delete(id: string): Promise<void> {
    if (!(await this.items.delete(id))) throw notFound('knowledge item');
  }
}
