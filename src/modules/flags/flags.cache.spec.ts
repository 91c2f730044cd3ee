import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import type { ProcessConfig, RedisConfig } from '../../config/slices.js';
import { FLAG_CACHE_TTL_MS, FlagsCache } from './flags.cache.js';
import type { FlagMap } from './flags.evaluate.js';

class FakeSub extends EventEmitter {
  subscribe = vi.fn(async () => 1);
  disconnect = vi.fn();
}

class TestCache extends FlagsCache {
  readonly fake = new FakeSub();
  protected override createSubscriber(): Redis {
    return this.fake as unknown as Redis;
  }
}

const flags = (on: boolean) => ({ hybrid_search: on, tts_streaming: true, market_publish: true }) as FlagMap;
const tick = () => new Promise((r) => setImmediate(r));

function make(publish = vi.fn(async () => 1)) {
  const sut = new TestCache({ prefix: 'pfx', url: 'redis://x' } as RedisConfig, { role: 'api' } as ProcessConfig, { publish } as unknown as Redis);
  sut.onModuleInit();
  return { sut, publish };
}

async function live() {
  const out = make();
  out.sut.fake.emit('ready');
  await tick();
  return out;
}

describe(FlagsCache.name, () => {
  afterEach(() => vi.restoreAllMocks());

  it('caches nothing until its subscription is live', async () => {
    const { sut } = make();
    sut.set('o1', flags(true), sut.begin());
    expect(sut.get('o1')).toBeUndefined();
    sut.fake.emit('ready');
    await tick();
    expect(sut.fake.subscribe).toHaveBeenCalledWith('pfx:flags:invalidate');
    expect(sut.isLive()).toBe(true);
    sut.set('o1', flags(true), sut.begin());
    expect(sut.get('o1')).toEqual(flags(true));
    expect(sut.get('o2')).toBeUndefined();
  });

  it("drops one org on that org's message, everything on a global one", async () => {
    const { sut } = await live();
    sut.set('o1', flags(true), sut.begin());
    sut.set('o2', flags(false), sut.begin());
    sut.fake.emit('message', 'pfx:flags:invalidate', JSON.stringify({ org: 'o1' }));
    expect(sut.get('o1')).toBeUndefined();
    expect(sut.get('o2')).toEqual(flags(false));
    sut.fake.emit('message', 'other:flags:invalidate', JSON.stringify({ org: null }));
    expect(sut.get('o2')).toEqual(flags(false));
    sut.fake.emit('message', 'pfx:flags:invalidate', JSON.stringify({ org: null }));
    expect(sut.get('o2')).toBeUndefined();
  });

  it('does not store a load that raced an invalidation', async () => {
    const { sut } = await live();
    const generation = sut.begin();
    sut.fake.emit('message', 'pfx:flags:invalidate', JSON.stringify({ org: 'o1' }));
    sut.set('o1', flags(false), generation);
    expect(sut.get('o1')).toBeUndefined();
  });

  it('forgets everything when the subscription drops, and again when it comes back', async () => {
    const { sut } = await live();
    sut.set('o1', flags(true), sut.begin());
    sut.fake.emit('close');
    expect(sut.isLive()).toBe(false);
    expect(sut.get('o1')).toBeUndefined();
    sut.fake.emit('ready');
    await tick();
    expect(sut.get('o1')).toBeUndefined();
  });

  it('expires an entry after the TTL', async () => {
    const { sut } = await live();
    const now = Date.now();
    sut.set('o1', flags(true), sut.begin());
    vi.spyOn(Date, 'now').mockReturnValue(now + FLAG_CACHE_TTL_MS + 1);
    expect(sut.get('o1')).toBeUndefined();
  });

  it('invalidate drops locally and publishes; a Redis failure does not throw', async () => {
    const { sut, publish } = await live();
    sut.set('o1', flags(true), sut.begin());
    await sut.invalidate('o1');
    expect(sut.get('o1')).toBeUndefined();
    expect(publish).toHaveBeenCalledWith('pfx:flags:invalidate', JSON.stringify({ org: 'o1' }));
    publish.mockRejectedValueOnce(new Error('down'));
    await expect(sut.invalidate(null)).resolves.toBeUndefined();
  });
});
