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
}

export interface StreamResult {
  samples: Sample[];
  dropped: number;
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
      await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      const latency = this.now() - start;
      const policy = header(res.headers['ratelimit-policy']);
      const state = header(res.headers['ratelimit']);
      return { ...meta, route: route.name, origin, t: start, latency, status: res.statusCode, policy, resets: state ? parseResets(state) : undefined };
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
    const interval = 1000 / s.rate;
    const t0 = this.now();
    let sent = 0;
    let dropped = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor((this.now() - t0) / interval) + 1);
        while (sent < due) {
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
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, Math.max(2, Math.min(20, interval / 2)));
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
