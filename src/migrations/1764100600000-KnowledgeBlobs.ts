import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tenantTableSql } from '../database/rls.js';

/**
 * Raw bytes an ingest job still has to read (an image waiting for OCR), kept beside their
 * knowledge item and removed by the job once its text is stored. Never served to clients.
 */
export class KnowledgeBlobs1764100600000 implements MigrationInterface {
  name = 'KnowledgeBlobs1764100600000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of [
      `CREATE TABLE knowledge_blobs (
         org_id uuid NOT NULL,
         knowledge_item_id uuid NOT NULL,
         mime_type text NOT NULL CHECK (mime_type IN ('image/png', 'image/jpeg')),
         data bytea NOT NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (org_id, knowledge_item_id),
         FOREIGN KEY (org_id, knowledge_item_id) REFERENCES knowledge_items (org_id, id) ON DELETE CASCADE
       )`,
      ...tenantTableSql('knowledge_blobs'),
    ])
      await q.query(s);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS knowledge_blobs`);
  }
}
