import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';
import { isoTs } from '../../common/dto/page.dto.js';
import type { MemberDto } from './dto/org.dto.js';

@Injectable()
export class OrgRepository {
  constructor(private readonly db: TenantDb) {}

  current(): Promise<{ id: string; slug: string; name: string } | undefined> {
    return this.db.one(`SELECT id, slug, name FROM orgs WHERE id = $1`, [this.db.context().orgId]);
  }

  members(): Promise<MemberDto[]> {
    return this.db.query(
      `SELECT m.user_id, u.email, u.display_name, m.role, ${isoTs('m.created_at')}
         FROM org_members m JOIN users u ON u.id = m.user_id ORDER BY m.created_at, m.user_id`,
    );
  }

  async findUserId(by: { userId?: string; email?: string }): Promise<string | undefined> {
    const row = by.userId
      ? await this.db.one<{ id: string }>(`SELECT id FROM users WHERE id = $1`, [by.userId])
      : await this.db.one<{ id: string }>(`SELECT id FROM users WHERE email = lower($1)`, [by.email]);
    return row?.id;
  }

  member(userId: string): Promise<{ role: string } | undefined> {
    return this.db.one(`SELECT role FROM org_members WHERE user_id = $1`, [userId]);
  }

  async upsertMember(userId: string, role: string): Promise<void> {
    await this.db.query(
      `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role`,
      [this.db.context().orgId, userId, role],
    );
  }

  async removeMember(userId: string): Promise<boolean> {
    return (await this.db.query(`DELETE FROM org_members WHERE user_id = $1 RETURNING user_id`, [userId])).length > 0;
  }

  async ownerCount(): Promise<number> {
    const row = await this.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM org_members WHERE role = 'owner'`);
    return row?.n ?? 0;
  }
}
