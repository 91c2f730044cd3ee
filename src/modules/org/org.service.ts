import { Injectable } from '@nestjs/common';
import { conflict, forbidden, notFound } from '../../common/filters/problem.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { OrgRepository } from './org.repository.js';
import type { AddMemberDto, MemberDto, OrgDto } from './dto/org.dto.js';

@Injectable()
export class OrgService {
  constructor(private readonly orgs: OrgRepository) {}

  async current(t: TenantContext): Promise<OrgDto> {
    const org = await this.orgs.current();
    if (!org) throw notFound('org');
    return { ...org, role: t.role!, is_super_admin: t.isSuperAdmin };
  }

  members(): Promise<MemberDto[]> {
    return this.orgs.members();
  }

  async addMember(t: TenantContext, body: AddMemberDto): Promise<MemberDto> {
    const userId = await this.orgs.findUserId({ userId: body.user_id, email: body.email });
    if (!userId) throw notFound('user');
    const existing = await this.orgs.member(userId);
    // Only an owner creates or demotes an owner.
    if ((body.role === 'owner' || existing?.role === 'owner') && t.role !== 'owner') {
      throw forbidden('only an owner can grant or change the owner role');
    }
    if (existing?.role === 'owner' && body.role !== 'owner' && (await this.orgs.ownerCount()) <= 1) {
      throw conflict('an org keeps at least one owner');
    }
    await this.orgs.upsertMember(userId, body.role);
    return (await this.orgs.members()).find((m) => m.user_id === userId)!;
  }

  async removeMember(t: TenantContext, userId: string): Promise<void> {
    const existing = await this.orgs.member(userId);
    if (!existing) throw notFound('member');
    if (existing.role === 'owner') {
      if (t.role !== 'owner') throw forbidden('only an owner can remove an owner');
      if ((await this.orgs.ownerCount()) <= 1) throw conflict('an org keeps at least one owner');
    }
    await this.orgs.removeMember(userId);
  }
}
