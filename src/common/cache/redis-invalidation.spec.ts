import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { ALL, type InvalidationSink } from './invalidated-cache.js';
import { jsonCodec, RedisInvalidation } from './redis-invalidation.js';

class FakeSub extends EventEmitter {
  subscribe = vi.fn(async () => 1);
  disconnect = vi.fn();
}

const tick = () => new Promise((r) => setImmediate(r));

function make() {
  const fake = new FakeSub();
  const publish = vi.fn(async () => 1);
  const sink = { invalidate: vi.fn(), connected: vi.fn(), disconnected: vi.fn() } satisfies InvalidationSink;
  const sut = new RedisInvalidation({
    channel: 'pfx:things:invalidate',
    publisher: { publish } as unknown as Redis,
    subscriber: () => fake as unknown as Redis,
  });
  const stop = sut.subscribe(sink);
  return { sut, fake, publish, sink, stop };
}

describe(RedisInvalidation.name, () => {
  it('is connected once SUBSCRIBE succeeds on a ready connection, disconnected when it closes', async () => {
    const { fake, sink } = make();
    expect(sink.connected).not.toHaveBeenCalled();
    fake.emit('ready');
    await tick();
    expect(fake.subscribe).toHaveBeenCalledWith('pfx:things:invalidate');
    expect(sink.connected).toHaveBeenCalledTimes(1);
    fake.emit('close');
    expect(sink.disconnected).toHaveBeenCalledTimes(1);
    fake.subscribe.mockRejectedValueOnce(new Error('down'));
    fake.emit('ready');
    await tick();
    expect(sink.connected).toHaveBeenCalledTimes(1);
    expect(sink.disconnected).toHaveBeenCalledTimes(2);
  });

  it('delivers messages of its channel only; an unreadable one invalidates all', () => {
    const { fake, sink } = make();
    fake.emit('message', 'pfx:things:invalidate', JSON.stringify({ key: 'o1' }));
    fake.emit('message', 'other:things:invalidate', JSON.stringify({ key: 'o2' }));
    fake.emit('message', 'pfx:things:invalidate', JSON.stringify({ key: null }));
    fake.emit('message', 'pfx:things:invalidate', 'not json');
    expect(sink.invalidate.mock.calls).toEqual([['o1'], [ALL], [ALL]]);
  });

  it('publishes with the codec and disconnects on stop', async () => {
    const { sut, fake, publish, stop } = make();
    await sut.publish('o1');
    await sut.publish(ALL);
    expect(publish.mock.calls).toEqual([
      ['pfx:things:invalidate', '{"key":"o1"}'],
      ['pfx:things:invalidate', '{"key":null}'],
    ]);
    void stop();
    expect(fake.disconnect).toHaveBeenCalledTimes(1);
  });

  it('a subscription that ends for good (its cluster node gone) is replaced by a new one; none after stop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const subs: FakeSub[] = [];
    const sink = { invalidate: vi.fn(), connected: vi.fn(), disconnected: vi.fn() } satisfies InvalidationSink;
    const sut = new RedisInvalidation({
      channel: 'c',
      publisher: {} as never,
      subscriber: () => subs[subs.push(new FakeSub()) - 1] as unknown as Redis,
      resubscribeMs: 1,
    });
    const stop = sut.subscribe(sink);
    subs[0].emit('ready');
    await tick();
    subs[0].emit('end');
    expect(sink.disconnected).toHaveBeenCalledTimes(1);
    expect(subs).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(subs).toHaveLength(2);
    subs[1].emit('ready');
    await tick();
    expect(subs[1].subscribe).toHaveBeenCalledWith('c');
    expect(sink.connected).toHaveBeenCalledTimes(2);
    void stop();
    expect(subs[1].disconnect).toHaveBeenCalledTimes(1);
    subs[1].emit('end');
    expect(vi.getTimerCount()).toBe(0);
    vi.runAllTimers();
    expect(subs).toHaveLength(2);
    vi.useRealTimers();
  });

  it('jsonCodec names its field', () => {
    const sut = jsonCodec('org');
    expect(sut.encode('o1')).toBe('{"org":"o1"}');
    expect(sut.decode('{"org":"o1"}')).toBe('o1');
    expect(sut.decode('{"org":null}')).toBe(ALL);
  });
});
