import { Logger } from '@nestjs/common';
/** Invalidates every entry (a global change, or a message that could not be read). */
export const ALL = Symbol('all');
/**
 * Per-instance cache of keyed values with a local TTL, invalidated across instances by a transport.
 *
 * - `get(key, load)` loads on a miss; concurrent misses for one key share one load (single flight).
 * - Every invalidation, connect and disconnect bumps a generation: a load that started before it
 *   never stores its result (it may have read the old data), and later callers do not join it.
 * - A load resolving to `undefined` is returned but not stored (absence is not cached).
 * - Keys must carry the tenant (org or user id): no key may answer for another tenant.
 */
export class InvalidatedCache {
    constructor(source, opts) {
        this.source = source;
        this.opts = opts;
        this.entries = new Map();
        this.loading = new Map();
        this.generation = 0;
        this.live = false;
        this.log = new Logger(`InvalidatedCache(${opts.name})`);
        this.now = opts.now ?? Date.now;
    }
    start() {
        this.stop ??= this.source.subscribe(this);
    }
    async close() {
        const stop = this.stop;
        this.stop = undefined;
        this.disconnected();
        await stop?.();
    }
    onModuleInit() {
        this.start();
    }
    async onApplicationShutdown() {
        await this.close();
    }
    /** True while the transport delivers invalidations to this instance. */
    isLive() {
        return this.live;
    }
    /** `load` may answer undefined (nothing to cache), and get then answers undefined too. */
    async get(key, load) {
        if (this.usable()) {
            const e = this.entries.get(key);
            if (e && e.expires > this.now())
                return e.value;
        }
        const generation = this.generation;
        const flight = this.loading.get(key);
        if (flight && flight.generation === generation)
            return flight.promise;
        const promise = (async () => {
            const value = await load();
            this.store(key, value, generation);
            return value;
        })();
        const mine = { generation, promise };
        this.loading.set(key, mine);
        const done = () => {
            if (this.loading.get(key) === mine)
                this.loading.delete(key);
        };
        promise.then(done, done);
        return promise;
    }
    /** The last value stored for `key`, even past its TTL (a fallback when loading fails). */
    peek(key) {
        return this.usable() ? this.entries.get(key)?.value : undefined;
    }
    /** Drops `target` here only (a message from another instance, or a local change). */
    invalidate(target) {
        this.generation++;
        if (target === ALL)
            this.entries.clear();
        else
            this.entries.delete(target);
    }
    /**
     * Drops `target` here and on every other instance. Call once the change is committed. Never
     * throws: if the transport cannot publish, other instances keep an entry for at most ttlMs
     * (or none at all in 'bypass' mode, where their transport is down too).
     */
    async publish(target) {
        this.invalidate(target);
        try {
            await this.source.publish?.(target);
        }
        catch (e) {
            this.log.warn(`invalidation not published: ${e.message}`);
        }
    }
    connected() {
        this.invalidate(ALL);
        this.live = true;
    }
    disconnected() {
        this.live = false;
        if (this.opts.whenDown === 'bypass')
            this.invalidate(ALL);
        else
            this.generation++;
    }
    usable() {
        return this.live || this.opts.whenDown === 'ttl';
    }
    store(key, value, generation) {
        if (value === undefined || generation !== this.generation || !this.usable())
            return;
        this.entries.delete(key);
        if (this.entries.size >= this.opts.maxEntries) {
            const oldest = this.entries.keys().next();
            if (!oldest.done)
                this.entries.delete(oldest.value);
        }
        this.entries.set(key, { value, expires: this.now() + this.opts.ttlMs });
    }
}
//# sourceMappingURL=invalidated-cache.js.map