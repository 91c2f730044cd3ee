import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

/** Invalidates every entry (a global change, or a message that could not be read). */
export const ALL: unique symbol = Symbol('all');
export type InvalidationTarget = string | typeof ALL;

/** What a transport tells the cache. */
export interface InvalidationSink {
  invalidate(target: InvalidationTarget): void;
  /** The transport is (again) delivering: anything cached before may have missed a message. */
  connected(): void;
  /** The transport stopped delivering: from now on a change elsewhere may go unnoticed. */
  disconnected(): void;
}

/**
 * A cross-instance invalidation transport (Redis pub/sub, Postgres LISTEN/NOTIFY). The feature
 * builds it and hands it to the cache, which subscribes on start.
 */
export interface InvalidationSource {
  /** Starts delivering to `sink`; returns how to stop. */
  subscribe(sink: InvalidationSink): () => void | Promise<void>;
  /** Tells every instance (this one included); absent when the database notifies by itself. */
  publish?(target: InvalidationTarget): Promise<void>;
}

export interface InvalidatedCacheOptions {
  /** For log lines. */
  name: string;
  /** An entry is never served after this long, whatever the transport says. */
  ttlMs: number;
  /** The oldest entry is evicted beyond this. */
  maxEntries: number;
  /**
   * While the transport is down:
   * - 'bypass': nothing is served or stored (every read loads); nothing stale can be served.
   * - 'ttl': entries are still served, so staleness is bounded by ttlMs.
   * Either way, everything cached is dropped when the transport (re)connects.
   */
  whenDown: 'bypass' | 'ttl';
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expires: number;
}

interface Flight<V> {
  generation: number;
  promise: Promise<V | undefined>;
}

/**
 * Per-instance cache of keyed values with a local TTL, invalidated across instances by a transport.
 *
 * - `get(key, load)` loads on a miss; concurrent misses for one key share one load (single flight).
 * - Every invalidation, connect and disconnect bumps a generation: a load that started before it
 *   never stores its result (it may have read the old data), and later callers do not join it.
 * - A load resolving to `undefined` is returned but not stored (absence is not cached).
 * - Keys must carry the tenant (org or user id): no key may answer for another tenant.
 */
export class InvalidatedCache<V> implements InvalidationSink, OnModuleInit, OnApplicationShutdown {
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Flight<V>>();
  private readonly now: () => number;
  private generation = 0;
  private live = false;
  private stop?: () => void | Promise<void>;

  constructor(
    private readonly source: InvalidationSource,
    private readonly opts: InvalidatedCacheOptions,
  ) {
    this.log = new Logger(`InvalidatedCache(${opts.name})`);
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.stop ??= this.source.subscribe(this);
  }

  async close(): Promise<void> {
    const stop = this.stop;
    this.stop = undefined;
    this.disconnected();
    await stop?.();
  }

  onModuleInit(): void {
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** True while the transport delivers invalidations to this instance. */
  isLive(): boolean {
    return this.live;
  }

  /** `load` may answer undefined (nothing to cache), and get then answers undefined too. */
  async get<R extends V | undefined = V>(key: string, load: () => Promise<R>): Promise<R> {
    if (this.usable()) {
      const e = this.entries.get(key);
      if (e && e.expires > this.now()) return e.value as R;
    }
    const generation = this.generation;
    const flight = this.loading.get(key);
    if (flight && flight.generation === generation) return flight.promise as Promise<R>;
    const promise = (async () => {
      const value = await load();
      this.store(key, value, generation);
      return value;
    })();
    const mine: Flight<V> = { generation, promise };
    this.loading.set(key, mine);
    const done = () => {
      if (this.loading.get(key) === mine) this.loading.delete(key);
    };
    promise.then(done, done);
    return promise;
  }

  /** The last value stored for `key`, even past its TTL (a fallback when loading fails). */
  peek(key: string): V | undefined {
    return this.usable() ? this.entries.get(key)?.value : undefined;
  }

  /** Drops `target` here only (a message from another instance, or a local change). */
  invalidate(target: InvalidationTarget): void {
    this.generation++;
    if (target === ALL) this.entries.clear();
    else this.entries.delete(target);
  }

  /**
   * Drops `target` here and on every other instance. Call once the change is committed. Never
   * throws: if the transport cannot publish, other instances keep an entry for at most ttlMs
   * (or none at all in 'bypass' mode, where their transport is down too).
   */
  async publish(target: InvalidationTarget): Promise<void> {
    this.invalidate(target);
    try {
      await this.source.publish?.(target);
    } catch (e) {
      this.log.warn(`invalidation not published: ${(e as Error).message}`);
    }
  }

  connected(): void {
    this.invalidate(ALL);
    this.live = true;
  }

  disconnected(): void {
    this.live = false;
    if (this.opts.whenDown === 'bypass') this.invalidate(ALL);
    else this.generation++;
  }

  private usable(): boolean {
    return this.live || this.opts.whenDown === 'ttl';
  }

  private store(key: string, value: V | undefined, generation: number): void {
    if (value === undefined || generation !== this.generation || !this.usable()) return;
    this.entries.delete(key);
    if (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expires: this.now() + this.opts.ttlMs });
  }
}
