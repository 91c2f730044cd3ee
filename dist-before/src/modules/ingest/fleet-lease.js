import { randomUUID } from 'node:crypto';
/** Renews the lease only while this holder still owns it (one key: fine on a Redis Cluster too). */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/**
 * One holder in the whole fleet at a time, through a Redis key with an expiry: the holder renews it
 * on every tick, a holder that stops (crash, shutdown, lost Redis) lets it expire and another process
 * takes it over within `ttlMs`. Used for work that must be done once per fleet, not once per process
 * (the database-wide queue gauges).
 */
export class FleetLease {
    constructor(redis, key, ttlMs) {
        this.redis = redis;
        this.key = key;
        this.ttlMs = ttlMs;
        this.id = randomUUID();
        this.held = false;
    }
    /** Takes or renews the lease; false when another process holds it or Redis does not answer. */
    async hold() {
        try {
            if (this.held && Number(await this.redis.eval(RENEW, 1, this.key, this.id, this.ttlMs)) === 1)
                return true;
            this.held = (await this.redis.set(this.key, this.id, 'PX', this.ttlMs, 'NX')) === 'OK';
        }
        catch {
            this.held = false;
        }
        return this.held;
    }
    get holding() {
        return this.held;
    }
    async release() {
        if (!this.held)
            return;
        this.held = false;
        await this.redis.eval(RELEASE, 1, this.key, this.id).catch(() => undefined);
    }
}
//# sourceMappingURL=fleet-lease.js.map