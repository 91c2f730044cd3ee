import { randomBytes, randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { OrgConfig } from '../../config/slices.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import type { OrgRepository } from './org.repository.js';
import type { StoredBytes } from '../limits/stored-bytes.js';
import { decodeInvitationToken, encodeInvitationToken, OrgService } from './org.service.js';

const ctx = (role: TenantContext['role']): TenantContext => ({
  requestId: 'r',
  userId: randomUUID(),
  orgId: randomUUID(),
  role,
  isSuperAdmin: false,
});

describe('invitation tokens', () => {
  it('round-trip org id, invitation id and secret in 86 base64url characters', () => {
    const orgId = randomUUID();
    const id = randomUUID();
    const secret = randomBytes(32);
    const token = encodeInvitationToken(orgId, id, secret);
    expect(token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(decodeInvitationToken(token)).toEqual({ orgId, id, secret });
  });

  it('refuse anything else', () => {
    for (const t of [
      '',
      'nope',
      'A'.repeat(85),
      'A'.repeat(87),
      `${'A'.repeat(85)}=`,
      `${'A'.repeat(85)}/`,
    ]) {
      expect(decodeInvitationToken(t)).toBeUndefined();
    }
  });
});

describe(OrgService.name, () => {
  let repo: { [K in keyof OrgRepository]: ReturnType<typeof vi.fn> };
  let sut: OrgService;

  beforeEach(() => {
    repo = {
      current: vi.fn(),
      memberRow: vi.fn().mockResolvedValue({ user_id: 'u', role: 'admin' }),
      member: vi.fn(),
      updateRole: vi.fn(),
      removeMember: vi.fn().mockResolvedValue(true),
      createInvitation: vi
        .fn()
        .mockImplementation(async (i) => ({ id: i.id, email: i.email, role: i.role, invited_by: 'me' })),
      invitation: vi.fn(),
      invitations: vi.fn(),
      revokeInvitation: vi.fn(),
      addOutboxEvent: vi.fn(),
      acceptInvitation: vi.fn(),
      setDefaultOrg: vi.fn(),
    } as never;
    sut = new OrgService(
      repo as unknown as OrgRepository,
      { assertRoom: vi.fn() } as unknown as StoredBytes,
      { invitationTtlS: 3600 } as OrgConfig,
    );
  });

  it('only an owner invites an owner', async () => {
    await expect(sut.invite(ctx('admin'), { email: 'a@b.c', role: 'owner' })).rejects.toMatchObject({
      status: 403,
    });
    expect(repo.createInvitation).not.toHaveBeenCalled();
    expect(repo.addOutboxEvent).not.toHaveBeenCalled();
  });

  it('stores the hash of a 256-bit secret, writes the outbox event without the token, answers the token', async () => {
    const t = ctx('admin');
    const out = await sut.invite(t, { email: 'a@b.c', role: 'member' });
    const stored = repo.createInvitation.mock.calls[0][0];
    expect(stored.tokenHash).toHaveLength(32);
    expect(stored.ttlSeconds).toBe(3600);
    const decoded = decodeInvitationToken(out.token)!;
    expect(decoded).toMatchObject({ orgId: t.orgId, id: stored.id });
    expect(decoded.secret).toHaveLength(32);
    expect(repo.addOutboxEvent).toHaveBeenCalledWith(
      'invitation.created',
      expect.objectContaining({ invitation_id: stored.id }),
    );
    expect(JSON.stringify(repo.addOutboxEvent.mock.calls)).not.toContain(out.token);
  });

  it('only an owner grants, changes or removes the owner role', async () => {
    repo.member.mockResolvedValue({ role: 'member' });
    await expect(sut.updateMember(ctx('admin'), 'u', 'owner')).rejects.toMatchObject({ status: 403 });
    repo.member.mockResolvedValue({ role: 'owner' });
    await expect(sut.updateMember(ctx('admin'), 'u', 'admin')).rejects.toMatchObject({ status: 403 });
    await expect(sut.removeMember(ctx('admin'), 'u')).rejects.toMatchObject({ status: 403 });
    expect(repo.updateRole).not.toHaveBeenCalled();
    expect(repo.removeMember).not.toHaveBeenCalled();
    await sut.updateMember(ctx('owner'), 'u', 'admin');
    expect(repo.updateRole).toHaveBeenCalledWith('u', 'admin');
  });

  it('a malformed accept token is 404 without a query', async () => {
    await expect(sut.accept('nope', 'a@b.c')).rejects.toMatchObject({ status: 404 });
    expect(repo.acceptInvitation).not.toHaveBeenCalled();
  });

  it('revoking an accepted invitation is 409, an absent one 404, a revoked one fine', async () => {
    repo.revokeInvitation.mockResolvedValue(false);
    repo.invitation.mockResolvedValueOnce({ status: 'accepted' });
    await expect(sut.revokeInvitation('i')).rejects.toMatchObject({ status: 409 });
    repo.invitation.mockResolvedValueOnce(undefined);
    await expect(sut.revokeInvitation('i')).rejects.toMatchObject({ status: 404 });
    repo.invitation.mockResolvedValueOnce({ status: 'revoked' });
    await expect(sut.revokeInvitation('i')).resolves.toBeUndefined();
  });
});
