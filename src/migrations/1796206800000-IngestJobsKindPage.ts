import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /v1/ingest/jobs?kind=… reads a page of the org's jobs of that kind: without this index the
 * page index was walked through every job of the org to find them (200,000 jobs and no ocr job:
 * 48-98 ms of a backend for each empty page of `?kind=ocr`, ad hoc), a cost an org could send at
 * its api rate. With it a page is one range whatever the org's history (a filter on both status
 * and kind reads one of the two ranges).
 */
export class IngestJobsKindPage1796206800000 implements MigrationInterface {
  name = 'IngestJobsKindPage1796206800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ingest_jobs_kind_page_idx ON ingest_jobs (org_id, kind, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ingest_jobs_kind_page_idx`);
  }
}
