var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
import { Injectable } from '@nestjs/common';
import { unauthorized } from '../common/filters/problem.js';
import { JwtVerifier } from './jwt-verifier.js';
import { MembershipRepository } from './membership.repository.js';
const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/;
/**
 * The one token check, for TenantGuard and the queue board alike: a Bearer JWT, verified, naming a
 * known user. Anything else is a 401; a database outage propagates (503 by the problem mapping).
 */
let Authenticator = class Authenticator {
    constructor(jwt, members) {
        this.jwt = jwt;
        this.members = members;
    }
    /** `allowNewUser`: a verified token whose user does not exist yet passes with no membership (accepting an invitation). */
    async authenticate(authorization, opts = {}) {
        const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
        if (!match)
            throw unauthorized('a Bearer token is required');
        const token = await this.jwt.verify(match[1]);
        if (!token)
            throw unauthorized('the token is invalid or expired');
        let user = await this.members.load(token.userId);
        if (!user && opts.allowNewUser)
            user = { userId: token.userId, isSuperAdmin: false, memberships: [] };
        if (!user)
            throw unauthorized('the token names no known user');
        return { token, user };
    }
    /** The user a verified session (the queue board's cookie) names, read from the database like a token's. */
    async user(userId) {
        const user = await this.members.load(userId);
        if (!user)
            throw unauthorized('the session names no known user');
        return user;
    }
};
Authenticator = __decorate([
    Injectable(),
    __metadata("design:paramtypes", [JwtVerifier,
        MembershipRepository])
], Authenticator);
export { Authenticator };
//# sourceMappingURL=authenticator.js.map