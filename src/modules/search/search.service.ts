import { Injectable } from '@nestjs/common';
import { EmbeddingsService } from '../embeddings/embeddings.service.js';
import { reciprocalRankFusion } from './rrf.js';
import { SearchRepository, type MarketRow, type PrivateRow } from './search.repository.js';
import { SearchMode, type MarketHitDto, type PrivateHitDto } from './dto/search.dto.js';

/** Candidates each list contributes to hybrid fusion. */
const fusionDepth = (k: number) => Math.min(100, Math.max(2 * k, 20));

@Injectable()
export class SearchService {
  constructor(
    private readonly repo: SearchRepository,
    private readonly embeddings: EmbeddingsService,
  ) {}

  private async embedQuery(query: string): Promise<number[]> {
    return (await this.embeddings.embed([query])).vectors[0];
  }

  private fuse<T extends { id: string; score: number }>(vector: T[], text: T[], k: number): T[] {
    return reciprocalRankFusion([vector, text], (r) => r.id)
      .slice(0, k)
      .map(({ item, score }) => ({ ...item, score }));
  }

  async searchPrivate(query: string, k: number, mode: SearchMode): Promise<PrivateHitDto[]> {
    const embedding = await this.embedQuery(query);
    let rows: PrivateRow[];
    if (mode === SearchMode.Hybrid) {
      const depth = fusionDepth(k);
      const vector = await this.repo.matchPrivate(embedding, depth);
      const text = await this.repo.textPrivate(query, depth);
      rows = this.fuse(vector, text, k);
    } else rows = await this.repo.matchPrivate(embedding, k);
    return rows.map((r) => ({
      chunk_id: r.id,
      knowledge_item_id: r.knowledge_item_id,
      chunk_index: r.chunk_index,
      content: r.content,
      score: Number(r.score),
    }));
  }

  async searchMarket(query: string, k: number, mode: SearchMode): Promise<MarketHitDto[]> {
    const embedding = await this.embedQuery(query);
    let rows: MarketRow[];
    if (mode === SearchMode.Hybrid) {
      const depth = fusionDepth(k);
      const vector = await this.repo.matchMarket(embedding, depth);
      const text = await this.repo.textMarket(query, depth);
      rows = this.fuse(vector, text, k);
    } else rows = await this.repo.matchMarket(embedding, k);
    return rows.map((r) => ({ chunk_id: r.id, listing_id: r.listing_id, chunk_index: r.chunk_index, content: r.content, score: Number(r.score) }));
  }
}
