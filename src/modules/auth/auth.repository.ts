import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrgRole } from '../../database/tenant-context.js';

export interface AuthRecord {
  userId: string;
  isSuperAdmin: boolean;
  memberships: { orgId: string; role: OrgRole }[];
}

/**
 * Reads who a verified user is, before any org is set. Goes through the narrow SECURITY DEFINER
 * function auth_context() (see the Foundation migration): one round trip, no cache, so a removed
 * member or changed role takes effect on the very next request on every instance.
 */
@Injectable()
export class AuthRepository {
  constructor(private readonly dataSource: DataSource) {}

  async load(userId: string): Promise<AuthRecord | undefined> {
    const rows: { user_id: string; is_super_admin: boolean; org_id: string | null; role: OrgRole | null }[] =
      await this.dataSource.query('SELECT user_id, is_super_admin, org_id, role FROM auth_context($1)', [userId]);
    if (rows.length === 0) return undefined;
    return {
      userId: rows[0].user_id,
      isSuperAdmin: rows[0].is_super_admin,
      memberships: rows.filter((r) => r.org_id).map((r) => ({ orgId: r.org_id!, role: r.role! })),
    };
  }
}
