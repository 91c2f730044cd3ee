import { Pool } from 'undici';
import { performance } from 'node:perf_hooks';
export function parseArrivals(v) {
    if (v === undefined || v === '' || v === 'poisson')
        return 'poisson';
    if (v === 'uniform')
        return 'uniform';
    throw new Error(`LOAD_ARRIVALS must be poisson or uniform, not ${v}`);
}
/** mulberry32 seeded from a string (FNV-1a): a small, fast, reproducible PRNG in [0, 1). */
export function seededRandom(seed) {
    let h = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++)
        h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
    let a = h >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
/** Send times (ms from the stream's start, ascending) of `n` requests over `durationMs`. */
export function arrivalTimes(n, durationMs, arrivals, seed) {
    if (arrivals === 'uniform') {
        const interval = durationMs / n;
        return Array.from({ length: n }, (_, i) => i * interval);
    }
    const rnd = seededRandom(seed);
    return Array.from({ length: n }, () => rnd() * durationMs).sort((a, b) => a - b);
}
/**
 * One client (its own connection pools), so that one org's slow answers cannot queue another org's
 * requests inside the load generator. Drivers sharing an `epoch` share a time axis.
 */
export class Driver {
    constructor(origins, epoch = performance.now(), connectionsPerOrigin = 64, arrivals = 'poisson') {
        this.origins = origins;
        this.epoch = epoch;
        this.arrivals = arrivals;
        this.pools = origins.map((o) => new Pool(o, { connections: connectionsPerOrigin, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }));
    }
    now() {
        return performance.now() - this.epoch;
    }
    /** One request; never throws (a transport error is status 0). */
    async send(origin, route, token, i, meta) {
        const start = this.now();
        const body = route.body ? JSON.stringify(route.body(i)) : undefined;
        try {
            const res = await this.pools[origin].request({
                method: route.method,
                path: route.path,
                headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
                body,
            });
            await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
            const latency = this.now() - start;
            const policy = header(res.headers['ratelimit-policy']);
            const state = header(res.headers['ratelimit']);
            return { ...meta, route: route.name, origin, t: start, latency, status: res.statusCode, policy, resets: state ? parseResets(state) : undefined };
        }
        catch {
            return { ...meta, route: route.name, origin, t: start, latency: this.now() - start, status: 0 };
        }
    }
    /** Sends `rate` requests per second for `durationMs` (or until `maxRequests`), round robin over the origins. */
    async run(s) {
        const samples = [];
        const pending = new Set();
        const maxInFlight = s.maxInFlight ?? 256;
        const total = Math.min(s.maxRequests, Math.max(1, Math.round((s.rate * s.durationMs) / 1000)));
        // The time span of `total` requests at `rate` (shorter than durationMs when maxRequests caps it).
        const span = (total * 1000) / s.rate;
        const times = arrivalTimes(total, span, this.arrivals, s.seed ?? `${s.org}|${s.phase}|${s.route.name}`);
        const t0 = this.now();
        let sent = 0;
        let dropped = 0;
        await new Promise((resolve) => {
            const tick = () => {
                const elapsed = this.now() - t0;
                while (sent < total && times[sent] <= elapsed) {
                    const i = sent++;
                    if (pending.size >= maxInFlight) {
                        dropped++;
                        continue;
                    }
                    const p = this.send(i % this.pools.length, s.route, s.token, i, { org: s.org, phase: s.phase }).then((r) => {
                        samples.push(r);
                        pending.delete(p);
                    });
                    pending.add(p);
                }
                if (sent >= total)
                    resolve();
                else
                    setTimeout(tick, Math.max(1, times[sent] - (this.now() - t0)));
            };
            tick();
        });
        await Promise.all(pending);
        return { samples, dropped };
    }
    /** Closed loop: `n` requests, `concurrency` at a time, round robin over the origins (bulk work). */
    async burst(route, token, n, concurrency, meta) {
        const out = [];
        let next = 0;
        const lane = async () => {
            while (next < n) {
                const i = next++;
                out.push(await this.send(i % this.pools.length, route, token, i, meta));
            }
        };
        await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
        return out;
    }
    async close() {
        await Promise.all(this.pools.map((p) => p.close()));
    }
}
const header = (v) => (Array.isArray(v) ? v.join(', ') : v);
/** `"api";r=3;t=7, "tts";r=0;t=41` → {api: 7, tts: 41} */
export function parseResets(state) {
    const out = {};
    for (const part of state.split(',')) {
        const m = /"([^"]+)"[^,]*;\s*t=(\d+)/.exec(part);
        if (m)
            out[m[1]] = Number(m[2]);
    }
    return out;
}
/** `"api";q=100;w=10, "tts";q=6;w=10` → [{policy:'api', limit:100, window_s:10}, …] */
export function parsePolicies(h) {
    if (!h)
        return [];
    return h
        .split(',')
        .map((s) => /"([^"]+)"\s*;\s*q=(\d+)\s*;\s*w=(\d+)/.exec(s))
        .filter((m) => m !== null)
        .map((m) => ({ policy: m[1], limit: Number(m[2]), window_s: Number(m[3]) }));
}
//# sourceMappingURL=driver.js.map