import { Injectable } from '@nestjs/common';
import { EmbeddingsService } from '../embeddings/embeddings.service.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { FlagKey } from '../flags/flag-key.js';
import { FlagsService } from '../flags/flags.service.js';
import { reciprocalRankFusion } from './rrf.js';
import { SearchRepository, type MarketRow, type PrivateRow } from './search.repository.js';
import { SearchMode, type MarketSearchAnswerDto, type PrivateSearchAnswerDto } from './dto/search.dto.js';

/** What a search read, and the mode it ran in (vector when the full-text half ran out of time). */
type Ran<T> = { rows: T[]; mode: SearchMode };

/** Candidates each list contributes to hybrid fusion. */
const fusionDepth = (k: number) => Math.min(100, Math.max(2 * k, 20));

@Injectable()
export class SearchService {
  constructor(
    private readonly repo: SearchRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly tenants: TenantTransactions,
    private readonly flags: FlagsService,
  ) {}

  /**
   * The query is embedded before the tenant transaction opens (the routes run without one), so a
   * search waiting for the model holds no database connection; the reads then run in one short
   * transaction with the caller's context.
   */
  private context(): TenantContext {
    const ctx = this.tenants.current();
    if (!ctx) throw new Error('search outside a tenant context');
    return ctx;
  }

  /**
   * The mode the search runs in: hybrid only when asked for AND the caller's org has
   * `hybrid_search` on; otherwise vector (and the answer says so).
   */
  private async modeFor(ctx: TenantContext, requested: SearchMode): Promise<SearchMode> {
    if (requested !== SearchMode.Hybrid) return SearchMode.Vector;
    return (await this.flags.isEnabled(ctx, FlagKey.HybridSearch)) ? SearchMode.Hybrid : SearchMode.Vector;
  }

  private async embedQuery(query: string): Promise<number[]> {
    return (await this.embeddings.embed([query])).vectors[0];
  }

  /** Both halves fused; the vector half alone (best k by similarity, mode vector) when the text half ran out of time. */
  private hybrid<T extends { id: string; score: number }>(vector: T[], text: T[] | null, k: number): Ran<T> {
    if (!text) return { rows: vector.slice(0, k), mode: SearchMode.Vector };
    const rows = reciprocalRankFusion([vector, text], (r) => r.id)
      .slice(0, k)
      .map(({ item, score }) => ({ ...item, score }));
    return { rows, mode: SearchMode.Hybrid };
  }

  async searchPrivate(query: string, k: number, requested: SearchMode): Promise<PrivateSearchAnswerDto> {
    const ctx = this.context();
    const asked = await this.modeFor(ctx, requested);
    const embedding = await this.embedQuery(query);
    const { rows, mode } = await this.tenants.run(ctx, async (): Promise<Ran<PrivateRow>> => {
      if (asked !== SearchMode.Hybrid) return { rows: await this.repo.matchPrivate(embedding, k), mode: asked };
      const depth = fusionDepth(k);
      const vector = await this.repo.matchPrivate(embedding, depth);
      const text = await this.repo.textPrivate(query, depth);
      return this.hybrid(vector, text, k);
    });
    const data = rows.map((r) => ({
      chunk_id: r.id,
      knowledge_item_id: r.knowledge_item_id,
      chunk_index: r.chunk_index,
      content: r.content,
      score: Number(r.score),
    }));
    return { data, mode };
  }

  async searchMarket(query: string, k: number, requested: SearchMode): Promise<MarketSearchAnswerDto> {
    const ctx = this.context();
    const asked = await this.modeFor(ctx, requested);
    const embedding = await this.embedQuery(query);
    const { rows, mode } = await this.tenants.run(ctx, async (): Promise<Ran<MarketRow>> => {
      if (asked !== SearchMode.Hybrid) return { rows: await this.repo.matchMarket(embedding, k), mode: asked };
      const depth = fusionDepth(k);
      const vector = await this.repo.matchMarket(embedding, depth);
      const text = await this.repo.textMarket(query, depth);
      return this.hybrid(vector, text, k);
    });
    const data = rows.map((r) => ({
      chunk_id: r.id,
      listing_id: r.listing_id,
      chunk_index: r.chunk_index,
      content: r.content,
      score: Number(r.score),
    }));
    return { data, mode };
  }
}
