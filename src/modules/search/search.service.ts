import { Inject, Injectable } from '@nestjs/common';
import { SearchConfig } from '../../config/slices.js';
import { EngineBusyError, EngineTimeoutError, FairScheduler, fairKey, WorkClass } from '../../common/fair/fair-scheduler.js';
import { RateBudget } from '../../common/fair/rate-budget.js';
import { EmbeddingsService } from '../embeddings/embeddings.service.js';
import { TenantTransactions, type TenantContext } from '../../tenancy/tenant-context.js';
import { FlagKey } from '../flags/flag-key.js';
import { FlagsService } from '../flags/flags.service.js';
import { reciprocalRankFusion } from './rrf.js';
import { SearchRepository, TEXT_HALF_CANCELLED } from './search.repository.js';
import { SearchMode, type MarketSearchAnswerDto, type PrivateSearchAnswerDto } from './dto/search.dto.js';

/** What a search read, and the mode it ran in (vector when the full-text half got no turn or ran out of time). */
type Ran<T> = { rows: T[]; mode: SearchMode };

/** Candidates each list contributes to hybrid fusion. */
const fusionDepth = (k: number) => Math.min(100, Math.max(2 * k, 20));

/** Full-text halves an org may have waiting for their turn; past it, its searches answer from the vector half. */
const TEXT_MAX_QUEUED_PER_ORG = 16;

@Injectable()
export class SearchService {
  /**
   * The full-text halves of hybrid searches as a shared engine: SEARCH_TEXT_CONCURRENCY at once in
   * this process, served fairly across orgs (one more for an org holding none), so one org's
   * costly text queries keep at most that many database backends busy, whatever it sends.
   */
  private readonly textHalves: FairScheduler;
  /** Each org's share of the text halves' time (SEARCH_TEXT_BUDGET_MS a second; absent at 0). */
  private readonly textBudget?: RateBudget;

  constructor(
    private readonly repo: SearchRepository,
    private readonly embeddings: EmbeddingsService,
    private readonly tenants: TenantTransactions,
    private readonly flags: FlagsService,
    @Inject(SearchConfig) private readonly searchConfig: SearchConfig,
  ) {
    this.textHalves = new FairScheduler({
      name: 'full-text search',
      slots: searchConfig.textConcurrency,
      spare: 1,
      maxQueuedPerOrg: TEXT_MAX_QUEUED_PER_ORG,
    });
    if (searchConfig.textBudgetMs > 0) this.textBudget = new RateBudget(searchConfig.textBudgetMs);
  }

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

  /**
   * The full-text half: in its org's turn, in a transaction of its own (no connection is held while
   * it waits), bounded by the repository. Null when it got no turn (SEARCH_TEXT_TIMEOUT_MS waited
   * in vain, or the org's queue full), ran past that time, or the org has spent its share of the
   * text halves' time (SEARCH_TEXT_BUDGET_MS a second): the search then answers from its vector
   * half, which it has already paid for.
   */
  private async textHalf<T>(ctx: TenantContext, read: () => Promise<T[]>): Promise<T[] | null> {
    const key = fairKey(ctx);
    const budget = this.textBudget;
    if (budget && !budget.allows(key)) return null;
    try {
      return await this.textHalves.run(
        key,
        async () => {
          if (budget && !budget.allows(key)) return null; // spent meanwhile by the org's halves ahead of it
          const t0 = performance.now();
          try {
            return await this.tenants.run(ctx, read);
          } finally {
            budget?.spend(key, performance.now() - t0);
          }
        },
        { cls: WorkClass.Request, maxWaitMs: this.searchConfig.textTimeoutMs },
      );
    } catch (e) {
      if (e instanceof EngineTimeoutError || e instanceof EngineBusyError || (e as { code?: string }).code === TEXT_HALF_CANCELLED) return null;
      throw e;
    }
  }

  /**
   * The rows of a search in the mode asked for: vector, one transaction; hybrid, the vector half in
   * one, then the text half in its turn, both fused; the vector half alone (best k by similarity,
   * mode vector) when the text half got no turn or ran out of time.
   */
  private async ran<T extends { id: string; score: number }>(
    ctx: TenantContext,
    asked: SearchMode,
    k: number,
    match: (n: number) => Promise<T[]>,
    text: (n: number) => Promise<T[]>,
  ): Promise<Ran<T>> {
    if (asked !== SearchMode.Hybrid) return { rows: await this.tenants.run(ctx, () => match(k)), mode: asked };
    const depth = fusionDepth(k);
    const vector = await this.tenants.run(ctx, () => match(depth));
    return this.hybrid(vector, await this.textHalf(ctx, () => text(depth)), k);
  }

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
    const { rows, mode } = await this.ran(
      ctx,
      asked,
      k,
      (n) => this.repo.matchPrivate(embedding, n),
      (n) => this.repo.textPrivate(query, n),
    );
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
    const { rows, mode } = await this.ran(
      ctx,
      asked,
      k,
      (n) => this.repo.matchMarket(embedding, n),
      (n) => this.repo.textMarket(query, n),
    );
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
