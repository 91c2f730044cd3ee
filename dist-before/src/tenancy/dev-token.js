import { SignJWT } from 'jose';
/** A development HS256 token (npm run token, tests, benchmarks). */
export async function signDevToken(env, claims, ttlSeconds = 3600) {
    if (!env.JWT_SECRET)
        throw new Error('JWT_SECRET is not set');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
        ...(claims.org_id ? { org_id: claims.org_id } : {}),
        ...(claims.email ? { email: claims.email } : {}),
    })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(env.JWT_ISSUER)
        .setAudience(env.JWT_AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(new TextEncoder().encode(env.JWT_SECRET));
}
//# sourceMappingURL=dev-token.js.map