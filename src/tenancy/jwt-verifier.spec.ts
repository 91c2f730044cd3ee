import { describe, expect, it, vi } from 'vitest';
import { JwtVerifier } from './jwt-verifier.js';
import { signDevToken } from './dev-token.js';
import { loadEnv } from '../config/env.js';
import { AuthConfig } from '../config/slices.js';

const env = loadEnv(
  { DATABASE_URL: 'postgres://a@b/c', DATABASE_WORKER_URL: 'postgres://a@b/c', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`, REDIS_URL: 'redis://x', JWT_SECRET: 's'.repeat(40), METRICS_TOKEN: 'm'.repeat(16), JWT_ISSUER: 'iss', JWT_AUDIENCE: 'aud' },
  '/nonexistent',
);
const sub = '6ec10329-20ac-492a-b6b7-1ad19129d03f';

describe(JwtVerifier.name, () => {
  it('verifies a good token and returns its subject and org claim', async () => {
    const sut = new JwtVerifier(AuthConfig.from(env));
    const t = await signDevToken(env, { sub, org_id: 'B08BA915-A600-4F16-BAD0-D6192C0C64EF' });
    await expect(sut.verify(t)).resolves.toEqual({ userId: sub, orgId: 'b08ba915-a600-4f16-bad0-d6192c0c64ef' });
  });

  it('does not serve an expired token from its cache', async () => {
    const sut = new JwtVerifier(AuthConfig.from(env));
    // a minute to live: with 1 s, `exp` (whole seconds) could fall a few ms after signing, and the
    // first verify met an expired token on a slow run (clean-clone CI, 2026-12-06)
    const t = await signDevToken(env, { sub }, 60);
    await expect(sut.verify(t)).resolves.toBeDefined();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 120_000);
      await expect(sut.verify(t)).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects a token signed with another secret, and a non-uuid subject', async () => {
    const sut = new JwtVerifier(AuthConfig.from(env));
    await expect(sut.verify(await signDevToken({ ...env, JWT_SECRET: 'x'.repeat(40) }, { sub }))).resolves.toBeUndefined();
    await expect(sut.verify(await signDevToken(env, { sub: 'admin' }))).resolves.toBeUndefined();
  });
});

describe(`${JwtVerifier.name} with a public key (production mode)`, () => {
  it('verifies ES256 tokens against JWT_PUBLIC_KEY and refuses HS256 ones signed with any secret', async () => {
    const { generateKeyPair, exportSPKI, SignJWT } = await import('jose');
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const penv = loadEnv(
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://a@b/c', DATABASE_WORKER_URL: 'postgres://a@b/c', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
        REDIS_URL: 'redis://x',
        JWT_PUBLIC_KEY: await exportSPKI(publicKey),
        METRICS_TOKEN: 'm'.repeat(16),
        JWT_ISSUER: 'iss',
        JWT_AUDIENCE: 'aud',
      },
      '/nonexistent',
    );
    const sut = new JwtVerifier(AuthConfig.from(penv));
    const sign = (alg: string, key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] | Uint8Array) =>
      new SignJWT({}).setProtectedHeader({ alg }).setSubject(sub).setIssuer('iss').setAudience('aud').setExpirationTime('5m').sign(key);
    await expect(sut.verify(await sign('ES256', privateKey))).resolves.toEqual({ userId: sub, orgId: undefined });
    // algorithm confusion: an HS256 token "signed" with the public key's text must not pass
    await expect(sut.verify(await sign('HS256', new TextEncoder().encode(penv.JWT_PUBLIC_KEY!)))).resolves.toBeUndefined();
  });
});
