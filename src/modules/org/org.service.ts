import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OrgConfig } from '../../config/slices.js';
import { decodeCursor, pageOf, type Page } from '../../common/dto/page.dto.js';
import { conflict, forbidden, notFound } from '../../common/filters/problem.js';
import type { OrgRole, TenantContext } from '../../tenancy/tenant-context.js';
import { OrgRepository } from './org.repository.js';
import { StoredBytes } from '../limits/stored-bytes.js';
import type {
  AcceptedInvitationDto,
  CreateInvitationDto,
  CreatedInvitationDto,
  InvitationDto,
  MemberDto,
  OrgDto,
} from './dto/org.dto.js';

/** Names of the outbox events this feature writes. */
export enum OrgEvent {
  InvitationCreated = 'invitation.created',
}

/**
 * An invitation token: base64url of org id (16 bytes), invitation id (16) and a random secret
 * (32 bytes, 256 bits). The ids route the lookup to one org's row (org_id leads every key); only
 * sha256(secret) is stored, so the table never holds a usable token.
 */
const TOKEN = /^[A-Za-z0-9_-]{86}$/;
const SECRET_BYTES = 32;
/** What an invitation's audit row and outbox event keep besides its e-mail (their JSON, about), for the stored-bytes check. */
const INVITATION_STORED_BYTES = 512;

const uuidOf = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const bytesOf = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex');

export function encodeInvitationToken(orgId: string, id: string, secret: Buffer): string {
  return Buffer.concat([bytesOf(orgId), bytesOf(id), secret]).toString('base64url');
}

export function decodeInvitationToken(
  token: string,
): { orgId: string; id: string; secret: Buffer } | undefined {
  if (!TOKEN.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== 32 + SECRET_BYTES) return undefined;
  return { orgId: uuidOf(raw.subarray(0, 16)), id: uuidOf(raw.subarray(16, 32)), secret: raw.subarray(32) };
}

@Injectable()
export class OrgService {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly stored: StoredBytes,
    @Inject(OrgConfig) private readonly orgConfig: OrgConfig,
  ) {}

  async current(t: TenantContext): Promise<OrgDto> {
    const org = await this.orgs.current();
    if (!org) throw notFound('org');
    return { ...org, role: t.role!, is_super_admin: t.isSuperAdmin };
  }

  async members(limit = 20, cursor?: string): Promise<Page<MemberDto>> {
    return pageOf(await this.orgs.members(limit, decodeCursor(cursor)), limit, (m) => m.user_id);
  }

  /** Only an owner grants `owner` or changes an owner's role; the last owner is kept by the database. */
  async updateMember(t: TenantContext, userId: string, role: OrgRole): Promise<MemberDto> {
    const existing = await this.orgs.member(userId);
    if (!existing) throw notFound('member');
    if ((role === 'owner' || existing.role === 'owner') && t.role !== 'owner') {
      throw forbidden('only an owner can grant or change the owner role');
    }
    if (existing.role !== role) await this.orgs.updateRole(userId, role);
    return (await this.orgs.memberRow(userId))!;
  }

  async removeMember(t: TenantContext, userId: string): Promise<void> {
    const existing = await this.orgs.member(userId);
    if (!existing) throw notFound('member');
    if (existing.role === 'owner' && t.role !== 'owner') throw forbidden('only an owner can remove an owner');
    await this.orgs.removeMember(userId);
  }

  /** Leave the current org (the last owner cannot: 409 from the database). */
  async leave(t: TenantContext): Promise<void> {
    if (!(await this.orgs.removeMember(t.userId!))) throw notFound('member');
  }

  /**
   * The answer is the same whether or not the e-mail has an account: nothing about users is read.
   * The token is in this answer only.
   */
  async invite(t: TenantContext, body: CreateInvitationDto): Promise<CreatedInvitationDto> {
    if (body.role === 'owner' && t.role !== 'owner') throw forbidden('only an owner can invite an owner');
    // three rows toward the org's stored bytes: the invitation, its audit row and its outbox event
    await this.stored.assertRoom(INVITATION_STORED_BYTES + 2 * Buffer.byteLength(body.email), 3);
    const id = randomUUID();
    const secret = randomBytes(SECRET_BYTES);
    const invitation = await this.orgs.createInvitation({
      id,
      email: body.email,
      role: body.role,
      tokenHash: createHash('sha256').update(secret).digest(),
      ttlSeconds: this.orgConfig.invitationTtlS,
    });
    // No token in the event (it is stored nowhere): a mailer would be handed it another way.
    await this.orgs.addOutboxEvent(OrgEvent.InvitationCreated, {
      invitation_id: id,
      email: invitation.email,
      role: invitation.role,
      invited_by: invitation.invited_by,
      expires_at: invitation.expires_at,
    });
    return { ...invitation, token: encodeInvitationToken(t.orgId!, id, secret) };
  }

  async invitations(limit = 20, cursor?: string): Promise<Page<InvitationDto>> {
    return pageOf(await this.orgs.invitations(limit, decodeCursor(cursor)), limit);
  }

  /** Revoking twice is fine (204); an accepted invitation cannot be revoked (409: remove the member). */
  async revokeInvitation(id: string): Promise<void> {
    if (await this.orgs.revokeInvitation(id)) return;
    const inv = await this.orgs.invitation(id);
    if (!inv) throw notFound('invitation');
    if (inv.status === 'accepted') throw conflict('the invitation was accepted: remove the member instead');
  }

  /**
   * The invitee, with their own token and no org. A malformed token is as absent as a wrong one
   * (404). The database decides the rest (invitation_accept(): e-mail match, state, new user).
   */
  async accept(token: string, tokenEmail: string | undefined): Promise<AcceptedInvitationDto> {
    const parsed = decodeInvitationToken(token);
    if (!parsed) throw notFound('invitation');
    return this.orgs.acceptInvitation(parsed.orgId, parsed.id, parsed.secret, tokenEmail ?? null);
  }

  async setDefaultOrg(orgId: string): Promise<{ default_org_id: string }> {
    if (!(await this.orgs.setDefaultOrg(orgId))) throw notFound('org');
    return { default_org_id: orgId };
  }
}
