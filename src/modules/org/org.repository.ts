import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../tenancy/tenant-context.js';
import type { OrgRole } from '../../tenancy/tenant-context.js';
import { isoTs, type Keyset } from '../../common/dto/page.dto.js';
import { keysetPage } from '../../database/keyset-page.repository.js';
import type { InvitationDto, MemberDto } from './dto/org.dto.js';

/** A member as the API answers one; the statements add their WHERE on m.org_id. */
const MEMBERS = `SELECT m.user_id, u.email, u.display_name, m.role, ${isoTs('m.created_at')} FROM org_members m JOIN users u ON u.id = m.user_id`;
const INVITATION_COLUMNS = `id, email, role,
  CASE WHEN accepted_at IS NOT NULL THEN 'accepted' WHEN revoked_at IS NOT NULL THEN 'revoked'
       WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END AS status,
  invited_by, ${isoTs('expires_at')}, ${isoTs('created_at')}, ${isoTs('accepted_at')}, ${isoTs('revoked_at')}`;

/**
 * Memberships, invitations and the outbox of the current org. Every query names the org of the
 * verified context as well as relying on RLS. Audit rows are written by triggers (migration
 * OrgInvitations), and "an org keeps an owner" is a trigger too (SQLSTATE RKO01 → 409).
 */
@Injectable()
export class OrgRepository {
  constructor(private readonly db: TenantDb) {}

  private org(): string {
    return this.db.context().orgId!;
  }

  current(): Promise<{ id: string; slug: string; name: string } | undefined> {
    return this.db.one(`SELECT id, slug, name FROM orgs WHERE id = $1`, [this.org()]);
  }

  /** A page of the org's members, oldest first (limit + 1 rows, for pageOf). */
  members(limit: number, after?: Keyset): Promise<MemberDto[]> {
    return this.db.query(
      `${MEMBERS} WHERE m.org_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2::timestamptz, $3::uuid))
        ORDER BY m.created_at, m.user_id LIMIT $4`,
      [this.org(), after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
  }

  memberRow(userId: string): Promise<MemberDto | undefined> {
    return this.db.one(`${MEMBERS} WHERE m.org_id = $1 AND m.user_id = $2`, [this.org(), userId]);
  }

  member(userId: string): Promise<{ role: OrgRole } | undefined> {
    return this.db.one(`SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`, [
      this.org(),
      userId,
    ]);
  }

  async updateRole(userId: string, role: OrgRole): Promise<void> {
    await this.db.query(`UPDATE org_members SET role = $3 WHERE org_id = $1 AND user_id = $2`, [
      this.org(),
      userId,
      role,
    ]);
  }

  async removeMember(userId: string): Promise<boolean> {
    const rows = await this.db.query(
      `DELETE FROM org_members WHERE org_id = $1 AND user_id = $2 RETURNING user_id`,
      [this.org(), userId],
    );
    return rows.length > 0;
  }

  async createInvitation(inv: {
    id: string;
    email: string;
    role: OrgRole;
    tokenHash: Buffer;
    ttlSeconds: number;
  }): Promise<InvitationDto> {
    const row = await this.db.one<InvitationDto>(
      `INSERT INTO org_invitations (org_id, id, email, role, token_hash, invited_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
       RETURNING ${INVITATION_COLUMNS}`,
      [this.org(), inv.id, inv.email, inv.role, inv.tokenHash, this.db.context().userId, inv.ttlSeconds],
    );
    return row!;
  }

  invitation(id: string): Promise<InvitationDto | undefined> {
    return this.db.one(`SELECT ${INVITATION_COLUMNS} FROM org_invitations WHERE org_id = $1 AND id = $2`, [
      this.org(),
      id,
    ]);
  }

  /** Newest first, by the (created_at, id) keyset; limit + 1 rows. */
  invitations(limit: number, after?: Keyset): Promise<InvitationDto[]> {
    return keysetPage(this.db, `SELECT ${INVITATION_COLUMNS} FROM org_invitations WHERE org_id = $1`, 'org_invitations', [this.org()], limit, after);
  }

  /** Revokes a pending invitation; false when it is not pending (absent, accepted or revoked). */
  async revokeInvitation(id: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE org_invitations SET revoked_at = now(), revoked_by = $3
        WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id`,
      [this.org(), id, this.db.context().userId],
    );
    return rows.length > 0;
  }

  /** An event for the outbox's consumers (a mailer), in the transaction of the change. */
  async addOutboxEvent(topic: string, payload: Record<string, unknown>): Promise<void> {
    await this.db.query(`INSERT INTO outbox_events (org_id, topic, payload) VALUES ($1, $2, $3)`, [
      this.org(),
      topic,
      JSON.stringify(payload),
    ]);
  }

  /**
   * The invitee accepts: invitation_accept() (SECURITY DEFINER) finds the invitation across orgs by
   * (org, id, sha256(secret)), for the transaction's user only. Errors RKI04/RKI09/RKI10 → 404/409/410.
   */
  async acceptInvitation(
    orgId: string,
    id: string,
    secret: Buffer,
    email: string | null,
  ): Promise<{ org_id: string; role: OrgRole }> {
    const row = await this.db.one<{ org_id: string; role: OrgRole }>(
      `SELECT org_id, role FROM invitation_accept($1, $2, $3, $4)`,
      [orgId, id, secret, email],
    );
    return row!;
  }

  /** Sets the transaction user's default org (set_default_org(): a member only). */
  async setDefaultOrg(orgId: string): Promise<boolean> {
    const row = await this.db.one<{ ok: boolean }>(`SELECT set_default_org($1) AS ok`, [orgId]);
    return row?.ok === true;
  }
}
