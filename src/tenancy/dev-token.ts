import { SignJWT } from 'jose';
import type { Env } from '../config/env.js';

/** A development HS256 token (npm run token, tests, benchmarks). */
export async function signDevToken(
  env: Pick<Env, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
  claims: { sub: string; org_id?: string; email?: string },
  ttlSeconds = 3600,
): Promise<string> {
  if (!env.JWT_SECRET) throw new Error('JWT_SECRET is not set');
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
