import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /v1/ingest/jobs?status=… reads a page of the org's jobs in that status: without this index
 * the page index was walked through every job of the org to find them (200,000 jobs and none
 * failed: 21 ms of a backend for each empty page of `?status=failed`, ad hoc), a cost an org could
 * send at its api rate. With it a page is one range whatever the org's history.
 */
export class IngestJobsStatusPage1796206700000 implements MigrationInterface {
  name = 'IngestJobsStatusPage1796206700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ingest_jobs_status_page_idx ON ingest_jobs (org_id, status, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ingest_jobs_status_page_idx`);
  }
}
