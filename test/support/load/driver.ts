import { Pool } from 'undici';
import { performance } from 'node:perf_hooks';

/**
 * An open-loop load generator on undici (already a dependency). Unlike a closed-loop tool, it keeps
 * sending at the configured rate however slow the answers are, so a slow server cannot slow the
 * load down and hide its own latency; and it keeps every response's status, timestamp and
 * rate-limit headers, which the per-window admission check needs (autocannon's response event has
 * neither headers nor timestamps).
 */
export interface Route {
  /** Short name for reports, e.g. "GET /v1/threads". */
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /** A fresh body per request (JSON). */
  body?: (i: number) => unknown;
  /** cheap | write | costly: only for the report. */
  kind: 'cheap' | 'write' | 'costly';
}

export interface Stream {
  org: string;
  phase: string;
  route: Route;
  /** Requests per second across all origins (round robin). */
  rate: number;
  durationMs: number;
  /** Hard cap of requests this stream sends. */
  maxRequests: number;
  token: string;
  /** Requests waiting for an answer above this are not sent but counted as `dropped`. */
  maxInFlight?: number;
  /** Seed of this stream's arrival times (poisson arrivals); the same seed gives the same schedule. */
  seed?: string;
}

/**
 * When a stream's requests are sent. `poisson` (the default): the stream's n send times are n
 * uniform random instants in the phase, sorted, i.e. a Poisson process conditioned on n arrivals,
 * from a PRNG seeded per stream (reproducible). `uniform`: every 1/rate seconds from the phase start.
 * Uniform arrivals make every stream of a phase fire on the same millisecond each second (and on the
 * same instance, round robin by index): requests collide by construction, not by chance, which
 * measures the load generator's phase alignment rather than the service.
 */
export type Arrivals = 'poisson' | 'uniform';

export function parseArrivals(v: string | undefined): Arrivals {
  if (v === undefined || v === '' || v === 'poisson') return 'poisson';
  if (v === 'uniform') return 'uniform';
  throw new Error(`LOAD_ARRIVALS must be poisson or uniform, not ${v}`);
}

/** mulberry32 seeded from a string (FNV-1a): a small, fast, reproducible PRNG in [0, 1). */
export function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
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
export function arrivalTimes(n: number, durationMs: number, arrivals: Arrivals, seed: string): number[] {
  if (arrivals === 'uniform') {
    const interval = durationMs / n;
    return Array.from({ length: n }, (_, i) => i * interval);
  }
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => rnd() * durationMs).sort((a, b) => a - b);
}

export interface Sample {
  org: string;
  phase: string;
  route: string;
  origin: number;
  /** ms since the run's epoch (the driver's `epoch`), when the request was sent. */
  t: number;
  latency: number;
  /** 0 = transport error or timeout. */
  status: number;
  /** Seconds to each policy's window reset, from the `RateLimit` header (`"api";r=3;t=7`). */
  resets?: Record<string, number>;
  /** `RateLimit-Policy` header, when the limiter answered. */
  policy?: string;
  /** A 5xx answer's problem type and detail (what to look into), at most 300 characters. */
  problem?: string;
}

export interface StreamResult {
  samples: Sample[];
  dropped: number;
}

/** A 5xx body's problem type and detail, or its first characters when it is not problem+json. */
function problemOf(body: string): string {
  try {
    const p = JSON.parse(body) as { type?: string; detail?: string };
    return `${p.type ?? ''} ${p.detail ?? ''}`.trim().slice(0, 300);
  } catch {
    return body.slice(0, 300);
  }
}

/**
 * One client (its own connection pools), so that one org's slow answers cannot queue another org's
 * requests inside the load generator. Drivers sharing an `epoch` share a time axis.
 */
export class Driver {
  private readonly pools: Pool[];

  constructor(
    readonly origins: string[],
    readonly epoch = performance.now(),
    connectionsPerOrigin = 64,
    readonly arrivals: Arrivals = 'poisson',
  ) {
    this.pools = origins.map((o) => new Pool(o, { connections: connectionsPerOrigin, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }));
  }

  now(): number {
    return performance.now() - this.epoch;
  }

  /** One request; never throws (a transport error is status 0). */
  async send(origin: number, route: Route, token: string, i: number, meta: { org: string; phase: string }): Promise<Sample> {
    const start = this.now();
    const body = route.body ? JSON.stringify(route.body(i)) : undefined;
    try {
      const res = await this.pools[origin].request({
        method: route.method,
        path: route.path,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      });
      const problem = res.statusCode >= 500 ? problemOf(await res.body.text()) : undefined;
      if (problem === undefined) await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      const latency = this.now() - start;
      const policy = header(res.headers['ratelimit-policy']);
      const state = header(res.headers['ratelimit']);
      return {
        ...meta,
        route: route.name,
        origin,
        t: start,
        latency,
        status: res.statusCode,
        policy,
        resets: state ? parseResets(state) : undefined,
        ...(problem === undefined ? {} : { problem }),
      };
    } catch {
      return { ...meta, route: route.name, origin, t: start, latency: this.now() - start, status: 0 };
    }
  }

  /** Sends `rate` requests per second for `durationMs` (or until `maxRequests`), round robin over the origins. */
  async run(s: Stream): Promise<StreamResult> {
    const samples: Sample[] = [];
    const pending = new Set<Promise<void>>();
    const maxInFlight = s.maxInFlight ?? 256;
    const total = Math.min(s.maxRequests, Math.max(1, Math.round((s.rate * s.durationMs) / 1000)));
    // The time span of `total` requests at `rate` (shorter than durationMs when maxRequests caps it).
    const span = (total * 1000) / s.rate;
    const times = arrivalTimes(total, span, this.arrivals, s.seed ?? `${s.org}|${s.phase}|${s.route.name}`);
    const t0 = this.now();
    let sent = 0;
    let dropped = 0;
    await new Promise<void>((resolve) => {
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
        if (sent >= total) resolve();
        else setTimeout(tick, Math.max(1, times[sent] - (this.now() - t0)));
      };
      tick();
    });
    await Promise.all(pending);
    return { samples, dropped };
  }

  /** Closed loop: `n` requests, `concurrency` at a time, round robin over the origins (bulk work). */
  async burst(route: Route, token: string, n: number, concurrency: number, meta: { org: string; phase: string }): Promise<Sample[]> {
    const out: Sample[] = [];
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

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

/** `"api";r=3;t=7, "tts";r=0;t=41` → {api: 7, tts: 41} */
export function parseResets(state: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of state.split(',')) {
    const m = /"([^"]+)"[^,]*;\s*t=(\d+)/.exec(part);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** `"api";q=100;w=10, "tts";q=6;w=10` → [{policy:'api', limit:100, window_s:10}, …] */
export function parsePolicies(h: string | undefined): { policy: string; limit: number; window_s: number }[] {
  if (!h) return [];
  return h
    .split(',')
    .map((s) => /"([^"]+)"\s*;\s*q=(\d+)\s*;\s*w=(\d+)/.exec(s))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ policy: m[1], limit: Number(m[2]), window_s: Number(m[3]) }));
}
