import type { ExecutionContext, HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ClsService } from 'nestjs-cls';
import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { AllowNewUser, NoOrg, Public } from '../decorators/auth.decorators.js';
import { Authenticator } from '../../tenancy/authenticator.js';
import type { JwtVerifier, VerifiedToken } from '../../tenancy/jwt-verifier.js';
import type { AuthRecord, MembershipRepository } from '../../tenancy/membership.repository.js';
import { TENANT_KEY, type TenantContext } from '../../tenancy/tenant-context.js';
import { TenantGuard } from './tenant.guard.js';

const USER = '6ec10329-20ac-492a-b6b7-1ad19129d03f';
const ORG_A = 'b08ba915-a600-4f16-bad0-d6192c0c64ef';
const ORG_B = '1f0e3c57-9d6a-4a43-8a55-2f7a1c1de0a1';
const OTHER_ORG = '7d1b7a52-3c1e-4b8e-9f3a-6a2a9c0e4d11';

class Routes {
  @Public() health(): void {}
  threads(): void {}
  @NoOrg() market(): void {}
  @NoOrg() @AllowNewUser() accept(): void {}
}

/** A mock that fails on any call it was not told to expect, and on any member it does not have. */
function strict<T extends object>(members: Record<string, Mock>): T {
  for (const [name, fn] of Object.entries(members)) {
    fn.mockImplementation(() => {
      throw new Error(`unexpected call: ${name}`);
    });
  }
  return new Proxy(members, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in target) return target[prop];
      if (prop === 'then') return undefined; // not a promise
      throw new Error(`unexpected access: ${String(prop)}`);
    },
  }) as unknown as T;
}

type Req = {
  id: string;
  headers: Record<string, string | string[] | undefined>;
  raw: { tenant?: TenantContext };
  tenant?: TenantContext;
};

describe(TenantGuard.name, () => {
  let verify: Mock<(token: string) => Promise<VerifiedToken | undefined>>;
  let load: Mock<(userId: string) => Promise<AuthRecord | undefined>>;
  let clsSet: Mock<(key: string, value: unknown) => void>;
  let sut: TenantGuard;

  beforeEach(() => {
    verify = vi.fn();
    load = vi.fn();
    clsSet = vi.fn();
    const jwt = strict<JwtVerifier>({ verify });
    const members = strict<MembershipRepository>({ load });
    const cls = strict<ClsService>({ set: clsSet });
    clsSet.mockImplementation(() => undefined);
    sut = new TenantGuard(new Reflector(), new Authenticator(jwt, members), cls);
  });

  const request = (headers: Req['headers'] = {}): Req => ({ id: 'req-1', headers, raw: {} });
  const contextFor = (route: keyof Routes, req: Req) =>
    ({
      getHandler: () => Routes.prototype[route],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => req }),
    }) as unknown as ExecutionContext;
  const bearer = (extra: Req['headers'] = {}) => request({ authorization: 'Bearer a.b.c', ...extra });
  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 'allowed',
      (e: HttpException) => e.getStatus(),
    );
  /** The token verifies (with an optional org claim) and names a user with these memberships. */
  const givenUser = (
    memberships: AuthRecord['memberships'],
    opts: { orgClaim?: string; isSuperAdmin?: boolean } = {},
  ) => {
    verify.mockResolvedValueOnce({ userId: USER, orgId: opts.orgClaim });
    load.mockResolvedValueOnce({ userId: USER, isSuperAdmin: opts.isSuperAdmin ?? false, memberships });
  };
  const expectNoTenant = (req: Req) => {
    expect(req.tenant).toBeUndefined();
    expect(req.raw.tenant).toBeUndefined();
    expect(clsSet).not.toHaveBeenCalled();
  };
  const expectTenant = (req: Req, ctx: Partial<TenantContext>) => {
    const expected = { requestId: 'req-1', userId: USER, isSuperAdmin: false, ...ctx };
    expect(req.tenant).toEqual(expected);
    expect(req.raw.tenant).toBe(req.tenant);
    expect(clsSet).toHaveBeenCalledExactlyOnceWith(TENANT_KEY, req.tenant);
  };

  it('lets a public route through without reading a token or the database', async () => {
    const req = request({ authorization: 'Bearer whatever' });
    await expect(sut.canActivate(contextFor('health', req))).resolves.toBe(true);
    expect(verify).not.toHaveBeenCalled();
    expect(load).not.toHaveBeenCalled();
    expectNoTenant(req);
  });

  it.each([
    ['no Authorization header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bearer with spaces', { authorization: 'Bearer a b' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a repeated header', { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] }],
  ])('answers 401 for %s, before verifying anything', async (_, headers) => {
    const req = request(headers);
    await expect(statusOf(sut.canActivate(contextFor('threads', req)))).resolves.toBe(401);
    expect(verify).not.toHaveBeenCalled();
    expect(load).not.toHaveBeenCalled();
    expectNoTenant(req);
  });

  it('answers 401 for a token the verifier refuses, without loading a user', async () => {
    verify.mockResolvedValueOnce(undefined);
    const req = bearer();
    await expect(statusOf(sut.canActivate(contextFor('threads', req)))).resolves.toBe(401);
    expect(verify).toHaveBeenCalledExactlyOnceWith('a.b.c');
    expect(load).not.toHaveBeenCalled();
    expectNoTenant(req);
  });

  it('answers 401 for a valid token naming no known user', async () => {
    verify.mockResolvedValueOnce({ userId: USER });
    load.mockResolvedValueOnce(undefined);
    const req = bearer();
    await expect(statusOf(sut.canActivate(contextFor('threads', req)))).resolves.toBe(401);
    expect(load).toHaveBeenCalledExactlyOnceWith(USER);
    expectNoTenant(req);
  });

  it.each([
    ['not a uuid', 'acme'],
    ['a uuid with a suffix', `${ORG_A}x`],
    ['repeated', [ORG_A, ORG_B]],
  ])('answers 400 for an X-Org-Id that is %s', async (_, orgHeader) => {
    givenUser([{ orgId: ORG_A, role: 'member' }]);
    const req = bearer({ 'x-org-id': orgHeader });
    await expect(statusOf(sut.canActivate(contextFor('threads', req)))).resolves.toBe(400);
    expectNoTenant(req);
  });

  it('answers 403 for an X-Org-Id the user is not a member of', async () => {
    givenUser([{ orgId: ORG_A, role: 'owner' }]);
    const req = bearer({ 'x-org-id': OTHER_ORG });
    await expect(statusOf(sut.canActivate(contextFor('threads', req)))).resolves.toBe(403);
    expectNoTenant(req);
  });

  it('takes the X-Org-Id in either case, over the token claim, with the role from the database', async () => {
    givenUser(
      [
        { orgId: ORG_A, role: 'viewer' },
        { orgId: ORG_B, role: 'admin' },
      ],
      { orgClaim: ORG_A },
    );
    const req = bearer({ 'x-org-id': ORG_B.toUpperCase() });
    await expect(sut.canActivate(contextFor('threads', req))).resolves.toBe(true);
    expectTenant(req, { orgId: ORG_B, role: 'admin' });
  });

  it("uses the token's org claim when no header names one", async () => {
    givenUser(
      [
        { orgId: ORG_A, role: 'member' },
        { orgId: ORG_B, role: 'owner' },
      ],
      { orgClaim: ORG_B },
    );
    const req = bearer();
    await expect(sut.canActivate(contextFor('threads', req))).resolves.toBe(true);
    expectTenant(req, { orgId: ORG_B, role: 'owner' });
  });

  it('answers 403 for an org claim the user is no longer a member of', async () => {
    givenUser([{ orgId: ORG_A, role: 'member' }], { orgClaim: OTHER_ORG });
    const req = bearer();
    await expect(statusOf(sut.canActivate(contextFor('threads', req)))).resolves.toBe(403);
    expectNoTenant(req);
  });

  it("uses the user's only org when neither header nor claim names one", async () => {
    givenUser([{ orgId: ORG_A, role: 'member' }], { isSuperAdmin: true });
    const req = bearer();
    await expect(sut.canActivate(contextFor('threads', req))).resolves.toBe(true);
    expectTenant(req, { orgId: ORG_A, role: 'member', isSuperAdmin: true });
  });

  it('with several orgs and none named, uses the first membership (auth_context: default org, then oldest)', async () => {
    givenUser([
      { orgId: ORG_B, role: 'admin' },
      { orgId: ORG_A, role: 'member' },
    ]);
    const req = bearer();
    await expect(sut.canActivate(contextFor('threads', req))).resolves.toBe(true);
    expectTenant(req, { orgId: ORG_B, role: 'admin' });
  });

  it('lets a token whose user does not exist yet through only where the route allows a new user', async () => {
    verify.mockResolvedValueOnce({ userId: USER, email: 'new@test.local' });
    load.mockResolvedValueOnce(undefined);
    const req = bearer();
    await expect(sut.canActivate(contextFor('accept', req))).resolves.toBe(true);
    expectTenant(req, { orgId: null, role: null });
    expect((req as Req & { tokenEmail?: string }).tokenEmail).toBe('new@test.local');

    verify.mockResolvedValueOnce({ userId: USER });
    load.mockResolvedValueOnce(undefined);
    await expect(statusOf(sut.canActivate(contextFor('market', bearer())))).resolves.toBe(401);
  });

  it.each([['no org', [], /not a member of any org/]])(
    'answers 400 when the user has %s and names none',
    async (_, memberships, detail) => {
      givenUser(memberships);
      const req = bearer();
      const err = await sut.canActivate(contextFor('threads', req)).catch((e: HttpException) => e);
      expect((err as HttpException).getStatus()).toBe(400);
      expect(JSON.stringify((err as HttpException).getResponse())).toMatch(detail);
      expectNoTenant(req);
    },
  );

  it('lets a no-org route through without an org when none is named', async () => {
    givenUser([
      { orgId: ORG_A, role: 'member' },
      { orgId: ORG_B, role: 'admin' },
    ]);
    const req = bearer();
    await expect(sut.canActivate(contextFor('market', req))).resolves.toBe(true);
    expectTenant(req, { orgId: null, role: null });
  });

  it('on a no-org route, still checks an org the header names', async () => {
    givenUser([{ orgId: ORG_A, role: 'member' }]);
    const allowed = bearer({ 'x-org-id': ORG_A });
    await expect(sut.canActivate(contextFor('market', allowed))).resolves.toBe(true);
    expectTenant(allowed, { orgId: ORG_A, role: 'member' });

    givenUser([{ orgId: ORG_A, role: 'member' }]);
    const refused = bearer({ 'x-org-id': OTHER_ORG });
    await expect(statusOf(sut.canActivate(contextFor('market', refused)))).resolves.toBe(403);
    expect(refused.tenant).toBeUndefined();
  });
});
