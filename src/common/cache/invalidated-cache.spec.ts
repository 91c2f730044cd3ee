import { describe, expect, it, vi } from 'vitest';
import {
  ALL,
  InvalidatedCache,
  type InvalidatedCacheOptions,
  type InvalidationSink,
  type InvalidationSource,
} from './invalidated-cache.js';

/** A transport driven by hand: the test plays the other instances and the connection. */
function fakeSource() {
  let sink: InvalidationSink | undefined;
  const stop = vi.fn();
  const source = {
    subscribe: vi.fn((s: InvalidationSink) => {
      sink = s;
      return stop;
    }),
    publish: vi.fn(async () => undefined),
  } satisfies InvalidationSource;
  return { source, stop, sink: () => sink! };
}

/** A load the test resolves when it chooses. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function make(opts: Partial<InvalidatedCacheOptions> = {}) {
  let now = 1_000;
  const { source, stop, sink } = fakeSource();
  const sut = new InvalidatedCache<string>(source, {
    name: 'test',
    ttlMs: 100,
    maxEntries: 3,
    whenDown: 'bypass',
    now: () => now,
    ...opts,
  });
  sut.onModuleInit();
  return {
    sut,
    source,
    stop,
    transport: sink(),
    advance: (ms: number) => (now += ms),
  };
}

const loader = (value: string | undefined) => vi.fn(async () => value as string);

describe(InvalidatedCache.name, () => {
  it('subscribes once on start and stops the transport on shutdown', async () => {
    const { sut, source, stop } = make();
    sut.start();
    expect(source.subscribe).toHaveBeenCalledTimes(1);
    await sut.onApplicationShutdown();
    expect(stop).toHaveBeenCalledTimes(1);
    expect(sut.isLive()).toBe(false);
  });

  it('loads on a miss, then answers from memory until the TTL is over', async () => {
    const { sut, transport, advance } = make();
    transport.connected();
    const load = loader('v1');
    await expect(sut.get('o1', load)).resolves.toBe('v1');
    advance(99);
    await expect(sut.get('o1', load)).resolves.toBe('v1');
    expect(load).toHaveBeenCalledTimes(1);
    advance(1);
    await expect(sut.get('o1', loader('v2'))).resolves.toBe('v2');
  });

  it('keys never answer for one another', async () => {
    const { sut, transport } = make();
    transport.connected();
    await sut.get('o1', loader('a'));
    const other = loader('b');
    await expect(sut.get('o2', other)).resolves.toBe('b');
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('shares one load between concurrent misses of a key (single flight), and not across keys', async () => {
    const { sut, transport } = make();
    transport.connected();
    const d = deferred<string>();
    const load = vi.fn(() => d.promise);
    const other = loader('b');
    const reads = [sut.get('o1', load), sut.get('o1', load), sut.get('o2', other)];
    d.resolve('a');
    await expect(Promise.all(reads)).resolves.toEqual(['a', 'a', 'b']);
    expect(load).toHaveBeenCalledTimes(1);
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('a failed load rejects every waiter, stores nothing, and the next read loads again', async () => {
    const { sut, transport } = make();
    transport.connected();
    const d = deferred<string>();
    const reads = [sut.get('o1', () => d.promise), sut.get('o1', () => d.promise)];
    d.reject(new Error('db down'));
    for (const r of reads) await expect(r).rejects.toThrow('db down');
    const again = loader('v');
    await expect(sut.get('o1', again)).resolves.toBe('v');
    expect(again).toHaveBeenCalledTimes(1);
  });

  it('a load that started before an invalidation never stores what it read, and is not joined after it', async () => {
    const { sut, transport } = make();
    transport.connected();
    const stale = deferred<string>();
    const first = sut.get('o1', () => stale.promise);
    transport.invalidate('o1'); // the change commits while the first load is reading
    const fresh = loader('new');
    const second = sut.get('o1', fresh);
    stale.resolve('old');
    await expect(first).resolves.toBe('old'); // its caller read before the change: that is fine
    await expect(second).resolves.toBe('new');
    expect(fresh).toHaveBeenCalledTimes(1);
    const after = loader('unused');
    await expect(sut.get('o1', after)).resolves.toBe('new');
    expect(after).not.toHaveBeenCalled();
  });

  it('an invalidation of all guards loads of every key', async () => {
    const { sut, transport } = make();
    transport.connected();
    const d = deferred<string>();
    const racing = sut.get('o2', () => d.promise);
    transport.invalidate(ALL);
    d.resolve('old');
    await racing;
    const next = loader('new');
    await expect(sut.get('o2', next)).resolves.toBe('new');
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('drops one key on its message and every key on ALL', async () => {
    const { sut, transport } = make();
    transport.connected();
    await sut.get('o1', loader('a'));
    await sut.get('o2', loader('b'));
    transport.invalidate('o1');
    expect(sut.peek('o1')).toBeUndefined();
    expect(sut.peek('o2')).toBe('b');
    transport.invalidate(ALL);
    expect(sut.peek('o2')).toBeUndefined();
  });

  it('does not store an undefined result (absence is not cached)', async () => {
    const { sut, transport } = make();
    transport.connected();
    await expect(sut.get('u1', loader(undefined))).resolves.toBeUndefined();
    const again = loader('now exists');
    await expect(sut.get('u1', again)).resolves.toBe('now exists');
    expect(again).toHaveBeenCalledTimes(1);
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const { sut, transport } = make();
    transport.connected();
    for (const k of ['a', 'b', 'c', 'd']) await sut.get(k, loader(k));
    expect(sut.peek('a')).toBeUndefined();
    expect(['b', 'c', 'd'].map((k) => sut.peek(k))).toEqual(['b', 'c', 'd']);
  });

  it('peek keeps the last value past its TTL (a fallback when loading fails)', async () => {
    const { sut, transport, advance } = make();
    transport.connected();
    await sut.get('o1', loader('last'));
    advance(1_000);
    expect(sut.peek('o1')).toBe('last');
  });

  it('publish drops locally, tells the transport, and never throws', async () => {
    const { sut, source, transport } = make();
    transport.connected();
    await sut.get('o1', loader('a'));
    await sut.publish('o1');
    expect(sut.peek('o1')).toBeUndefined();
    expect(source.publish).toHaveBeenCalledWith('o1');
    source.publish.mockRejectedValueOnce(new Error('redis down'));
    await expect(sut.publish(ALL)).resolves.toBeUndefined();
  });

  describe("whenDown: 'bypass'", () => {
    it('caches nothing before the transport is connected', async () => {
      const { sut } = make();
      const load = loader('v');
      await sut.get('o1', load);
      await sut.get('o1', load);
      expect(load).toHaveBeenCalledTimes(2);
      expect(sut.isLive()).toBe(false);
    });

    it('forgets everything when the transport drops, loads every read meanwhile, and caches again on reconnect', async () => {
      const { sut, transport } = make();
      transport.connected();
      await sut.get('o1', loader('before'));
      transport.disconnected();
      expect(sut.isLive()).toBe(false);
      expect(sut.peek('o1')).toBeUndefined();
      const meanwhile = loader('during');
      await sut.get('o1', meanwhile);
      await sut.get('o1', meanwhile);
      expect(meanwhile).toHaveBeenCalledTimes(2);
      transport.connected();
      expect(sut.isLive()).toBe(true);
      const after = loader('after');
      await sut.get('o1', after);
      await sut.get('o1', after);
      expect(after).toHaveBeenCalledTimes(1);
    });

    it('a load that spans a disconnect stores nothing', async () => {
      const { sut, transport } = make();
      transport.connected();
      const d = deferred<string>();
      const racing = sut.get('o1', () => d.promise);
      transport.disconnected();
      transport.connected();
      d.resolve('maybe stale');
      await racing;
      expect(sut.peek('o1')).toBeUndefined();
    });
  });

  describe("whenDown: 'ttl'", () => {
    it('serves entries while the transport is down (staleness bounded by the TTL), and flushes all on reconnect', async () => {
      const { sut, transport, advance } = make({ whenDown: 'ttl' });
      await sut.get('o1', loader('before connect'));
      expect(sut.peek('o1')).toBe('before connect');
      transport.connected();
      expect(sut.peek('o1')).toBeUndefined(); // messages sent before the subscription are lost
      await sut.get('o1', loader('v1'));
      transport.disconnected();
      const unused = loader('unused');
      await expect(sut.get('o1', unused)).resolves.toBe('v1');
      expect(unused).not.toHaveBeenCalled();
      advance(100);
      await expect(sut.get('o1', loader('v2'))).resolves.toBe('v2');
      transport.connected();
      expect(sut.peek('o1')).toBeUndefined();
    });
  });
});
