import { describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import { InvalidatedCache } from '../common/cache/invalidated-cache.js';
import type { MembershipCache } from './membership.cache.js';
import { MembershipRepository, type AuthRecord } from './membership.repository.js';

function make(rows: unknown[]) {
  const cache = new InvalidatedCache<AuthRecord>(
    {
      subscribe: (sink) => {
        sink.connected();
        return () => undefined;
      },
    },
    { name: 'auth', ttlMs: 60_000, maxEntries: 10, whenDown: 'bypass' },
  );
  cache.start();
  const query = vi.fn(async () => rows);
  const sut = new MembershipRepository({ query } as unknown as DataSource, cache as MembershipCache);
  return { sut, query, cache };
}

describe(MembershipRepository.name, () => {
  it('reads auth_context once per user, with a bound parameter, then from the cache until a NOTIFY', async () => {
    const { sut, query, cache } = make([
      { user_id: 'u1', is_super_admin: false, org_id: 'o1', role: 'admin' },
      { user_id: 'u1', is_super_admin: false, org_id: 'o2', role: 'viewer' },
    ]);
    const want = {
      userId: 'u1',
      isSuperAdmin: false,
      memberships: [
        { orgId: 'o1', role: 'admin' },
        { orgId: 'o2', role: 'viewer' },
      ],
    };
    await expect(sut.load('u1')).resolves.toEqual(want);
    await expect(sut.load('u1')).resolves.toEqual(want);
    expect(query).toHaveBeenCalledTimes(1);
    expect(query).toHaveBeenCalledWith(expect.stringContaining('auth_context($1)'), ['u1']);
    cache.invalidate('u1');
    await sut.load('u1');
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('answers undefined for an unknown user and does not cache that', async () => {
    const { sut, query } = make([]);
    await expect(sut.load('nobody')).resolves.toBeUndefined();
    await expect(sut.load('nobody')).resolves.toBeUndefined();
    expect(query).toHaveBeenCalledTimes(2);
  });
});
