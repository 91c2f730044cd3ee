import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrgRole } from './tenant-context.js';
import { MembershipCache } from './membership.cache.js';

export interface AuthRecord {
  userId: string;
  isSuperAdmin: boolean;
  memberships: { orgId: string; role: OrgRole }[];
}

/**
 * Who a verified user is, before any org is set: read through the narrow SECURITY DEFINER function
 * auth_context() (Foundation migration) and cached per instance (MembershipCache).
 *
 * Why the cache is safe: (1) every change to org_members or users.is_super_admin is NOTIFYed on
 * commit and each instance drops that user at once; while the LISTEN connection is down the cache
 * is off. (2) Even a stale entry cannot grant anything: the first statement of every tenant
 * transaction, tenant_begin(), re-checks the membership and role in the database (same round trip
 * as set_config) and refuses with 403.
 */
@Injectable()
export class MembershipRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: MembershipCache,
  ) {}

  /** undefined: no such user (not cached, so a user created meanwhile is found at once). */
  load(userId: string): Promise<AuthRecord | undefined> {
    return this.cache.get(userId, async () => {
      const rows: {
        user_id: string;
        is_super_admin: boolean;
        org_id: string | null;
        role: OrgRole | null;
      }[] = await this.dataSource.query(
        'SELECT user_id, is_super_admin, org_id, role FROM auth_context($1)',
        [userId],
      );
      if (rows.length === 0) return undefined;
      return {
        userId: rows[0].user_id,
        isSuperAdmin: rows[0].is_super_admin,
        memberships: rows.filter((r) => r.org_id).map((r) => ({ orgId: r.org_id!, role: r.role! })),
      };
    });
  }
}
