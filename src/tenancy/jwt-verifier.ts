import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey } from 'node:crypto';
import { createRemoteJWKSet, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { AuthConfig } from '../config/slices.js';
import { isUuid } from '../common/uuid.js';

export interface VerifiedToken {
  userId: string;
  orgId?: string;
  /** The `email` claim, lowercased; absent when `email_verified` is false. */
  email?: string;
}

/** Verifies signature, exp, iss and aud. HS256 with a secret in development; RS256/ES256 in production. */
@Injectable()
export class JwtVerifier {
  private key?: Uint8Array | CryptoKey | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(@Inject(AuthConfig) private readonly authConfig: AuthConfig) {
    this.algorithms = authConfig.publicKey || authConfig.jwksUrl ? ['RS256', 'ES256'] : ['HS256'];
  }

  private async getKey(): Promise<Uint8Array | CryptoKey | JWTVerifyGetKey> {
    if (this.key) return this.key;
    if (this.authConfig.jwksUrl) this.key = createRemoteJWKSet(new URL(this.authConfig.jwksUrl));
    else if (this.authConfig.publicKey) {
      const pem = this.authConfig.publicKey.replace(/\\n/g, '\n');
      // The key's own type decides the one algorithm accepted (no algorithm confusion).
      const alg = createPublicKey(pem).asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
      this.algorithms.splice(0, this.algorithms.length, alg);
      this.key = await importSPKI(pem, alg);
    } else this.key = new TextEncoder().encode(this.authConfig.secret);
    return this.key;
  }

  /**
   * Verified tokens are remembered until their own `exp` (bounded LRU): a client sends the same
   * token on every call, and a signature check costs more than the rest of the guard. Only fully
   * verified tokens are cached, keyed by the whole token string, so nothing unverified is trusted.
   */
  private readonly cache = new Map<string, { token: VerifiedToken; exp: number }>();
  private static readonly CACHE_MAX = 10_000;

  /** Returns undefined for any token that is not exactly right; the caller answers 401. */
  async verify(token: string): Promise<VerifiedToken | undefined> {
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.exp > Date.now() / 1000) return hit.token;
      this.cache.delete(token);
    }
    const verified = await this.verifyUncached(token);
    if (verified) {
      if (this.cache.size >= JwtVerifier.CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(token, verified);
      return verified.token;
    }
    return undefined;
  }

  private async verifyUncached(token: string): Promise<{ token: VerifiedToken; exp: number } | undefined> {
    let payload: JWTPayload;
    try {
      const key = await this.getKey();
      ({ payload } = await jwtVerify(token, key as Uint8Array, {
        issuer: this.authConfig.issuer,
        audience: this.authConfig.audience,
        algorithms: this.algorithms,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch {
      return undefined;
    }
    if (!isUuid(payload.sub)) return undefined;
    const orgId = isUuid(payload.org_id) ? payload.org_id : undefined;
    const email =
      typeof payload.email === 'string' && payload.email.length <= 320 && payload.email_verified !== false
        ? payload.email.toLowerCase()
        : undefined;
    return { token: { userId: payload.sub.toLowerCase(), orgId: orgId?.toLowerCase(), email }, exp: payload.exp! };
  }
}
