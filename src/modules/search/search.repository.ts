import { Inject, Injectable } from '@nestjs/common';
import pgvector from 'pgvector';
import { SearchConfig } from '../../config/slices.js';
import { TenantDb } from '../../tenancy/tenant-context.js';
import type { EncodedVectors } from './vector-literal.js';

/** The SQLSTATE of a statement Postgres cancelled (query_canceled): a text half past SEARCH_TEXT_TIMEOUT_MS. */
export const TEXT_HALF_CANCELLED = '57014';

export interface PrivateRow {
  id: string;
  knowledge_item_id: string;
  chunk_index: number;
  content: string;
  score: number;
}
export interface MarketRow {
  id: string;
  listing_id: string;
  chunk_index: number;
  content: string;
  score: number;
}

/**
 * private_chunks (written by the embed step) and the search queries over both indexes (private and
 * market chunks); always inside the tenant transaction. Listings and their chunks are written by
 * the market's own repository.
 */
@Injectable()
export class SearchRepository {
  constructor(
    private readonly db: TenantDb,
    @Inject(SearchConfig) private readonly searchConfig: SearchConfig,
  ) {}

  /**
   * The full-text half of a hybrid search, bounded in work and time: its query ranks at most
   * SEARCH_TEXT_CANDIDATES matches and runs under a statement_timeout of SEARCH_TEXT_TIMEOUT_MS
   * (transaction-local: the caller runs it in a transaction of its own). Past the time Postgres
   * cancels it: TEXT_HALF_CANCELLED, which aborts that transaction.
   */
  private async boundedText<T>(read: (candidates: number) => Promise<T[]>): Promise<T[]> {
    await this.db.query(`SELECT set_config('statement_timeout', $1, true)`, [`${this.searchConfig.textTimeoutMs}ms`]);
    return read(this.searchConfig.textCandidates);
  }

  /** Vector search over the current org's chunks (exact or HNSW, chosen in SQL by org size). */
  matchPrivate(embedding: number[], k: number): Promise<PrivateRow[]> {
    return this.db.query(
      `SELECT id, knowledge_item_id, chunk_index, content, similarity AS score FROM match_private_chunks($1, $2::vector, $3)`,
      [this.db.context().orgId, pgvector.toSql(embedding), k],
    );
  }

  /** The org's chunks matching `query`, best `k` by ts_rank_cd of at most SEARCH_TEXT_CANDIDATES matches; cancelled past its time. */
  textPrivate(query: string, k: number): Promise<PrivateRow[]> {
    return this.boundedText((candidates) =>
      this.db.query<PrivateRow>(
        `SELECT c.id, c.knowledge_item_id, c.chunk_index, c.content, ts_rank_cd(c.tsv, q) AS score
           FROM (SELECT id, knowledge_item_id, chunk_index, content, tsv FROM private_chunks
                  WHERE org_id = $1 AND tsv @@ websearch_to_tsquery('english', $2) LIMIT $4) c,
                websearch_to_tsquery('english', $2) q
          ORDER BY score DESC, c.id LIMIT $3`,
        [this.db.context().orgId, query, k, candidates],
      ),
    );
  }

  matchMarket(embedding: number[], k: number): Promise<MarketRow[]> {
    return this.db.query(
      `SELECT id, listing_id, chunk_index, content, similarity AS score FROM match_market_chunks($1::vector, $2)`,
      [pgvector.toSql(embedding), k],
    );
  }

  /** Market chunks matching `query`, bounded as textPrivate. */
  textMarket(query: string, k: number): Promise<MarketRow[]> {
    return this.boundedText((candidates) =>
      this.db.query<MarketRow>(
        `SELECT m.id, m.listing_id, m.chunk_index, m.content, ts_rank_cd(m.tsv, q) AS score
           FROM (SELECT id, listing_id, chunk_index, content, tsv FROM market_chunks
                  WHERE tsv @@ websearch_to_tsquery('english', $1) LIMIT $3) m,
                websearch_to_tsquery('english', $1) q
          ORDER BY score DESC, m.id LIMIT $2`,
        [query, k, candidates],
      ),
    );
  }

  /**
   * What the org keeps in the vector indexes besides `itemId`'s private chunks: its other items'
   * chunks plus the copies its market listings hold (caps.stored_chunks counts both), each counted
   * up to `atMost` (a cap check reads no further).
   */
  async countChunksBesides(itemId: string, atMost: number): Promise<number> {
    const row = await this.db.one<{ n: number }>(
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM private_chunks WHERE org_id = $3 AND knowledge_item_id <> $1 LIMIT $2) c)::int
            + (SELECT count(*) FROM (SELECT 1 FROM market_chunks WHERE publisher_org_id = $3 LIMIT $2) m)::int AS n`,
      [itemId, atMost, this.db.context().orgId],
    );
    return row?.n ?? 0;
  }

  /**
   * Upserts an item's chunks by (org, item, chunk_index) and deletes indexes past the new count,
   * so re-running leaves exactly one set. One statement: every chunk in one multi-row INSERT
   * (arrays unnested), the delete in a data-modifying CTE (it only touches indexes the insert does not).
   */
  async replaceChunks(knowledgeItemId: string, contents: string[], vectors: EncodedVectors): Promise<void> {
    if (vectors.count !== contents.length)
      throw new Error(`${contents.length} chunks but ${vectors.count} vectors for item ${knowledgeItemId}`);
    // The vectors arrive as one bytea (the UTF-8 text of a text[] literal, vector-literal.ts):
    // formatted off the event loop, sent without a copy or an escape.
    await this.db.query(
      `WITH gone AS (
         DELETE FROM private_chunks WHERE org_id = $1 AND knowledge_item_id = $2 AND chunk_index >= cardinality($3::text[]))
       INSERT INTO private_chunks (org_id, knowledge_item_id, chunk_index, content, embedding)
       SELECT $1, $2, t.ord - 1, t.content, t.embedding::vector
         FROM unnest($3::text[], convert_from($4::bytea, 'UTF8')::text[]) WITH ORDINALITY t(content, embedding, ord)
       ON CONFLICT (org_id, knowledge_item_id, chunk_index)
       DO UPDATE SET content = EXCLUDED.content, embedding = EXCLUDED.embedding`,
      [this.db.context().orgId, knowledgeItemId, contents, vectors.literal],
    );
  }
}
