import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /v1/org/members answers pages (SPEC: lists use cursor pagination), oldest member first, by
 * the keyset (created_at, user_id): this index reads a page of an org of any size as one range.
 */
export class OrgMembersPageIndex1796206600000 implements MigrationInterface {
  name = 'OrgMembersPageIndex1796206600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX org_members_page_idx ON org_members (org_id, created_at, user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS org_members_page_idx`);
  }
}
