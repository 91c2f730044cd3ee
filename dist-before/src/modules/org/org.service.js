var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OrgConfig } from '../../config/slices.js';
import { decodeCursor, pageOf } from '../../common/dto/page.dto.js';
import { conflict, forbidden, notFound } from '../../common/filters/problem.js';
import { OrgRepository } from './org.repository.js';
/** Names of the outbox events this feature writes. */
export var OrgEvent;
(function (OrgEvent) {
    OrgEvent["InvitationCreated"] = "invitation.created";
})(OrgEvent || (OrgEvent = {}));
/**
 * An invitation token: base64url of org id (16 bytes), invitation id (16) and a random secret
 * (32 bytes, 256 bits). The ids route the lookup to one org's row (org_id leads every key); only
 * sha256(secret) is stored, so the table never holds a usable token.
 */
const TOKEN = /^[A-Za-z0-9_-]{86}$/;
const SECRET_BYTES = 32;
const uuidOf = (b) => {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const bytesOf = (uuid) => Buffer.from(uuid.replace(/-/g, ''), 'hex');
export function encodeInvitationToken(orgId, id, secret) {
    return Buffer.concat([bytesOf(orgId), bytesOf(id), secret]).toString('base64url');
}
export function decodeInvitationToken(token) {
    if (!TOKEN.test(token))
        return undefined;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length !== 32 + SECRET_BYTES)
        return undefined;
    return { orgId: uuidOf(raw.subarray(0, 16)), id: uuidOf(raw.subarray(16, 32)), secret: raw.subarray(32) };
}
let OrgService = class OrgService {
    constructor(orgs, orgConfig) {
        this.orgs = orgs;
        this.orgConfig = orgConfig;
    }
    async current(t) {
        const org = await this.orgs.current();
        if (!org)
            throw notFound('org');
        return { ...org, role: t.role, is_super_admin: t.isSuperAdmin };
    }
    members() {
        return this.orgs.members();
    }
    /** Only an owner grants `owner` or changes an owner's role; the last owner is kept by the database. */
    async updateMember(t, userId, role) {
        const existing = await this.orgs.member(userId);
        if (!existing)
            throw notFound('member');
        if ((role === 'owner' || existing.role === 'owner') && t.role !== 'owner') {
            throw forbidden('only an owner can grant or change the owner role');
        }
        if (existing.role !== role)
            await this.orgs.updateRole(userId, role);
        return (await this.orgs.members(userId))[0];
    }
    async removeMember(t, userId) {
        const existing = await this.orgs.member(userId);
        if (!existing)
            throw notFound('member');
        if (existing.role === 'owner' && t.role !== 'owner')
            throw forbidden('only an owner can remove an owner');
        await this.orgs.removeMember(userId);
    }
    /** Leave the current org (the last owner cannot: 409 from the database). */
    async leave(t) {
        if (!(await this.orgs.removeMember(t.userId)))
            throw notFound('member');
    }
    /**
     * The answer is the same whether or not the e-mail has an account: nothing about users is read.
     * The token is in this answer only.
     */
    async invite(t, body) {
        if (body.role === 'owner' && t.role !== 'owner')
            throw forbidden('only an owner can invite an owner');
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
        return { ...invitation, token: encodeInvitationToken(t.orgId, id, secret) };
    }
    async invitations(limit = 20, cursor) {
        return pageOf(await this.orgs.invitations(limit, decodeCursor(cursor)), limit);
    }
    /** Revoking twice is fine (204); an accepted invitation cannot be revoked (409: remove the member). */
    async revokeInvitation(id) {
        if (await this.orgs.revokeInvitation(id))
            return;
        const inv = await this.orgs.invitation(id);
        if (!inv)
            throw notFound('invitation');
        if (inv.status === 'accepted')
            throw conflict('the invitation was accepted: remove the member instead');
    }
    /**
     * The invitee, with their own token and no org. A malformed token is as absent as a wrong one
     * (404). The database decides the rest (invitation_accept(): e-mail match, state, new user).
     */
    async accept(token, tokenEmail) {
        const parsed = decodeInvitationToken(token);
        if (!parsed)
            throw notFound('invitation');
        return this.orgs.acceptInvitation(parsed.orgId, parsed.id, parsed.secret, tokenEmail ?? null);
    }
    async setDefaultOrg(orgId) {
        if (!(await this.orgs.setDefaultOrg(orgId)))
            throw notFound('org');
        return { default_org_id: orgId };
    }
};
OrgService = __decorate([
    Injectable(),
    __param(1, Inject(OrgConfig)),
    __metadata("design:paramtypes", [OrgRepository,
        OrgConfig])
], OrgService);
export { OrgService };
//# sourceMappingURL=org.service.js.map