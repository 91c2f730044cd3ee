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
var JwtVerifier_1;
import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey } from 'node:crypto';
import { createRemoteJWKSet, importSPKI, jwtVerify } from 'jose';
import { AuthConfig } from '../config/slices.js';
import { isUuid } from '../common/uuid.js';
/** Verifies signature, exp, iss and aud. HS256 with a secret in development; RS256/ES256 in production. */
let JwtVerifier = class JwtVerifier {
    static { JwtVerifier_1 = this; }
    constructor(authConfig) {
        this.authConfig = authConfig;
        /**
         * Verified tokens are remembered until their own `exp` (bounded LRU): a client sends the same
         * token on every call, and a signature check costs more than the rest of the guard. Only fully
         * verified tokens are cached, keyed by the whole token string, so nothing unverified is trusted.
         */
        this.cache = new Map();
        this.algorithms = authConfig.publicKey || authConfig.jwksUrl ? ['RS256', 'ES256'] : ['HS256'];
    }
    async getKey() {
        if (this.key)
            return this.key;
        if (this.authConfig.jwksUrl)
            this.key = createRemoteJWKSet(new URL(this.authConfig.jwksUrl));
        else if (this.authConfig.publicKey) {
            const pem = this.authConfig.publicKey.replace(/\\n/g, '\n');
            // The key's own type decides the one algorithm accepted (no algorithm confusion).
            const alg = createPublicKey(pem).asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
            this.algorithms.splice(0, this.algorithms.length, alg);
            this.key = await importSPKI(pem, alg);
        }
        else
            this.key = new TextEncoder().encode(this.authConfig.secret);
        return this.key;
    }
    static { this.CACHE_MAX = 10_000; }
    /** Returns undefined for any token that is not exactly right; the caller answers 401. */
    async verify(token) {
        const hit = this.cache.get(token);
        if (hit) {
            if (hit.exp > Date.now() / 1000)
                return hit.token;
            this.cache.delete(token);
        }
        const verified = await this.verifyUncached(token);
        if (verified) {
            if (this.cache.size >= JwtVerifier_1.CACHE_MAX)
                this.cache.delete(this.cache.keys().next().value);
            this.cache.set(token, verified);
            return verified.token;
        }
        return undefined;
    }
    async verifyUncached(token) {
        let payload;
        try {
            const key = await this.getKey();
            ({ payload } = await jwtVerify(token, key, {
                issuer: this.authConfig.issuer,
                audience: this.authConfig.audience,
                algorithms: this.algorithms,
                requiredClaims: ['exp', 'sub'],
            }));
        }
        catch {
            return undefined;
        }
        if (!isUuid(payload.sub))
            return undefined;
        const orgId = isUuid(payload.org_id) ? payload.org_id : undefined;
        const email = typeof payload.email === 'string' && payload.email.length <= 320 && payload.email_verified !== false
            ? payload.email.toLowerCase()
            : undefined;
        return { token: { userId: payload.sub.toLowerCase(), orgId: orgId?.toLowerCase(), email }, exp: payload.exp };
    }
};
JwtVerifier = JwtVerifier_1 = __decorate([
    Injectable(),
    __param(0, Inject(AuthConfig)),
    __metadata("design:paramtypes", [AuthConfig])
], JwtVerifier);
export { JwtVerifier };
//# sourceMappingURL=jwt-verifier.js.map