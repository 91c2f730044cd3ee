import { Injectable } from '@nestjs/common';
import { unauthorized } from '../common/filters/problem.js';
import { JwtVerifier, type VerifiedToken } from './jwt-verifier.js';
import { MembershipRepository, type AuthRecord } from './membership.repository.js';

// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" and "BEARER" name it too.
const BEARER = /^Bearer +([A-Za-z0-9_.-]+)$/i;

export interface Authenticated {
  token: VerifiedToken;
  /** Read from the database (auth_context), never from a claim. */
  user: AuthRecord;
}

/**
 * The one token check, for TenantGuard and the queue board alike: a Bearer JWT, verified, naming a
 * known user. Anything else is a 401; a database outage propagates (503 by the problem mapping).
 */
@Injectable()
export class Authenticator {
  constructor(
    private readonly jwt: JwtVerifier,
    private readonly members: MembershipRepository,
  ) {}

  /** `allowNewUser`: a verified token whose user does not exist yet passes with no membership (accepting an invitation). */
  async authenticate(authorization: unknown, opts: { allowNewUser?: boolean } = {}): Promise<Authenticated> {
    const match = typeof authorization === 'string' ? BEARER.exec(authorization) : null;
    if (!match) throw unauthorized('a Bearer token is required');
    const token = await this.jwt.verify(match[1]);
    if (!token) throw unauthorized('the token is invalid or expired');
    let user = await this.members.load(token.userId);
    if (!user && opts.allowNewUser) user = { userId: token.userId, isSuperAdmin: false, memberships: [] };
    if (!user) throw unauthorized('the token names no known user');
    return { token, user };
  }

  /** The user a verified session (the queue board's cookie) names, read from the database like a token's. */
  async user(userId: string): Promise<AuthRecord> {
    const user = await this.members.load(userId);
    if (!user) throw unauthorized('the session names no known user');
    return user;
  }
}
