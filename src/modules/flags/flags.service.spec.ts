import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { TenantContext, TenantTransactions } from '../../tenancy/tenant-context.js';
import { FlagKey } from './flag-key.js';
import { ALL, InvalidatedCache } from '../../common/cache/invalidated-cache.js';
import type { FlagsCache } from './flags.cache.js';
import type { FlagMap } from './flags.evaluate.js';
import type { FlagsRepository } from './flags.repository.js';
import { FlagsService } from './flags.service.js';

const ctx: TenantContext = { requestId: 'r1', userId: 'u1', orgId: 'o1', role: 'owner', isSuperAdmin: false };
const root: TenantContext = { requestId: 'r2', userId: 'root', orgId: null, role: null, isSuperAdmin: true };

/** The real cache over a transport that records what is published (and is always connected). */
function fakeCache() {
  const events: string[] = [];
  const cache = new InvalidatedCache<FlagMap>(
    {
      subscribe: (sink) => {
        sink.connected();
        return () => undefined;
      },
      publish: async (target) => {
        events.push(`invalidate:${target === ALL ? 'all' : target}`);
      },
    },
    { name: 'flags', ttlMs: 30_000, maxEntries: 100, whenDown: 'bypass' },
  );
  cache.start();
  return Object.assign(cache, { events });
}

describe(FlagsService.name, () => {
  let repo: { [K in keyof FlagsRepository]: ReturnType<typeof vi.fn> };
  let cache: ReturnType<typeof fakeCache>;
  let tenants: { run: ReturnType<typeof vi.fn> };
  let sut: FlagsService;

  beforeEach(() => {
    cache = fakeCache();
    repo = {
      flags: vi.fn(async () => [
        {
          key: 'hybrid_search',
          description: '',
          default_enabled: false,
          rollout_percent: 0,
          created_at: 't',
          updated_at: 't',
        },
      ]),
      orgOverrides: vi.fn(async () => [{ flag_key: 'hybrid_search', enabled: true }]),
      allOverrides: vi.fn(async () => []),
      upsertFlag: vi.fn(async () => ({
        key: 'hybrid_search',
        description: 'd',
        default_enabled: true,
        rollout_percent: 10,
        created_at: 't',
        updated_at: 't',
      })),
      orgExists: vi.fn(async () => true),
      setOverride: vi.fn(async () => ({
        org_id: 'o2',
        flag_key: 'hybrid_search',
        enabled: true,
        updated_at: 't',
      })),
      clearOverride: vi.fn(async () => true),
    } as never;
    tenants = {
      run: vi.fn(async (_c: TenantContext, fn: () => Promise<unknown>) => {
        const out = await fn();
        cache.events.push('commit');
        return out;
      }),
    };
    sut = new FlagsService(
      repo as unknown as FlagsRepository,
      tenants as unknown as TenantTransactions,
      cache as unknown as FlagsCache,
    );
  });

  it('evaluates from the database once, then from the cache', async () => {
    await expect(sut.effective(ctx)).resolves.toMatchObject({ hybrid_search: true });
    await expect(sut.isEnabled(ctx, FlagKey.HybridSearch)).resolves.toBe(true);
    expect(repo.flags).toHaveBeenCalledTimes(1);
    expect(repo.orgOverrides).toHaveBeenCalledTimes(1);
    expect(tenants.run).toHaveBeenCalledWith(ctx, expect.any(Function));
  });

  it('does not cache what it read while an invalidation happened', async () => {
    repo.orgOverrides.mockImplementationOnce(async () => {
      cache.invalidate('o1'); // a message from another instance while this one reads
      return [];
    });
    await sut.effective(ctx);
    await sut.effective(ctx);
    expect(repo.flags).toHaveBeenCalledTimes(2);
  });

  it('publishes the invalidation only after the write committed', async () => {
    await sut.upsertFlag(root, FlagKey.HybridSearch, { enabled: true, rollout_percent: 10 });
    await sut.setOverride(root, FlagKey.HybridSearch, 'o2', true);
    await sut.clearOverride(root, FlagKey.HybridSearch, 'o2');
    expect(cache.events).toEqual([
      'commit',
      'invalidate:all',
      'commit',
      'invalidate:o2',
      'commit',
      'invalidate:o2',
    ]);
    expect(repo.upsertFlag).toHaveBeenCalledWith(
      FlagKey.HybridSearch,
      true,
      10,
      undefined,
      expect.any(String),
    );
  });

  it('answers 404 for an unknown org or an absent override, and invalidates nothing', async () => {
    repo.orgExists.mockResolvedValueOnce(false);
    await expect(sut.setOverride(root, FlagKey.HybridSearch, 'nope', true)).rejects.toMatchObject({
      status: 404,
    });
    expect(repo.setOverride).not.toHaveBeenCalled();
    repo.clearOverride.mockResolvedValueOnce(false);
    await expect(sut.clearOverride(root, FlagKey.HybridSearch, 'o2')).rejects.toMatchObject({ status: 404 });
    expect(cache.events.filter((e) => e.startsWith('invalidate'))).toEqual([]);
  });
});
