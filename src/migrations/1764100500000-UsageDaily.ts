import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantTableSql } from '../database/rls.js';

/** Metered usage per org, day and unit, flushed in batches from Redis (not a write per request). */
export class UsageDaily1764100500000 implements MigrationInterface {
  name = 'UsageDaily1764100500000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of [
      `CREATE TABLE usage_daily (
         org_id uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
         day date NOT NULL,
         unit text NOT NULL CHECK (unit IN ('tts_characters', 'embedding_inputs', 'crawled_pages', 'ocr_pages')),
         amount bigint NOT NULL DEFAULT 0 CHECK (amount >= 0),
         updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, day, unit)
       )`,
      ...tenantTableSql('usage_daily'),
    ])
      await q.query(s);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS usage_daily`);
  }
}
