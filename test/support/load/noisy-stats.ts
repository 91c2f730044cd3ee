import { percentile } from './load.js';
import type { Sample } from './driver.js';

/** Pure figures and verdicts of the noisy-neighbour run (no I/O, so the CI test can check them directly). */
export interface Summary {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  ok2xx: number;
  limited429: number;
  other4xx: number;
  server5xx: number;
  /** Transport errors and timeouts (status 0). */
  errors: number;
  dropped: number;
}

export function summarize(samples: Sample[], dropped = 0): Summary {
  const lat = samples.filter((s) => s.status !== 0).map((s) => s.latency);
  const count = (f: (st: number) => boolean) => samples.filter((s) => f(s.status)).length;
  return {
    requests: samples.length,
    p50: percentile(lat, 50),
    p95: percentile(lat, 95),
    p99: percentile(lat, 99),
    ok2xx: count((st) => st >= 200 && st < 300),
    limited429: count((st) => st === 429),
    other4xx: count((st) => st >= 400 && st < 500 && st !== 429),
    server5xx: count((st) => st >= 500),
    errors: count((st) => st === 0),
    dropped,
  };
}

export interface WindowCount {
  /** The window [from, from + windowS) on the driver's clock: it opens at an admitted answer's send time. */
  from: number;
  admitted: number;
}

/**
 * The most 2xx answers the limiter admitted in any span of `windowS` seconds, across every API
 * instance (the cross-instance quota check). The limiter is a token bucket: in any span of one
 * window it admits at most its burst (by default the limit) plus one window's refill (the limit),
 * so the bound to compare with is burst + limit. A request was decided somewhere between its send
 * time and its arrival (a refused request may be held a moment, then admitted, so that span can be
 * half a second); an answer counts in a window only when both ends lie inside it, so it was surely
 * decided there and the count is never larger than the true one: a count over the bound is a real
 * over-admission, never an artefact of latency. Admitted answers without a RateLimit header for the
 * policy are counted apart.
 */
export function admittedPerWindow(samples: Sample[], policy: string, windowS: number): { windows: WindowCount[]; withoutHeader: number } {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const withoutHeader = ok.filter((s) => s.resets?.[policy] === undefined).length;
  const times = ok.filter((s) => s.resets?.[policy] !== undefined).sort((a, b) => a.t - b.t);
  const windows: WindowCount[] = [];
  for (let i = 0; i < times.length; i++) {
    const until = times[i].t + windowS * 1000;
    let admitted = 0;
    for (let j = i; j < times.length && times[j].t < until; j++) if (times[j].t + times[j].latency < until) admitted++;
    windows.push({ from: times[i].t, admitted });
  }
  return { windows, withoutHeader };
}

export type VerdictStatus = 'pass' | 'fail' | 'skipped';
export interface Verdict {
  name: string;
  status: VerdictStatus;
  detail: string;
}

export const verdict = (name: string, ok: boolean, detail: string): Verdict => ({ name, status: ok ? 'pass' : 'fail', detail });
export const skipped = (name: string, why: string): Verdict => ({ name, status: 'skipped', detail: why });

/** Latency may grow by `ratio`, or by `slackMs` when that is larger (a few ms of noise on a tiny p95 is not a neighbour). */
export function latencyVerdict(name: string, alone: number, flood: number, ratio: number, slackMs: number): Verdict {
  const bound = Math.max(alone * ratio, alone + slackMs);
  const r = flood / alone;
  return verdict(
    name,
    Number.isFinite(flood) && Number.isFinite(alone) && flood <= bound,
    `${flood.toFixed(1)} ms with flood vs ${alone.toFixed(1)} ms alone = ${r.toFixed(2)}x (bound ${ratio}x${slackMs ? ` or +${slackMs} ms` : ''} = ${bound.toFixed(1)} ms)`,
  );
}

/** Per-second buckets for the charts: latency percentiles and status counts. */
export function perSecond(samples: Sample[], from: number, to: number) {
  const n = Math.max(0, Math.ceil((to - from) / 1000));
  const buckets = Array.from({ length: n }, () => ({ lat: [] as number[], ok: 0, limited: 0, failed: 0 }));
  for (const s of samples) {
    const i = Math.floor((s.t - from) / 1000);
    if (i < 0 || i >= n) continue;
    const b = buckets[i];
    if (s.status !== 0) b.lat.push(s.latency);
    if (s.status >= 200 && s.status < 300) b.ok++;
    else if (s.status === 429) b.limited++;
    else if (s.status === 0 || s.status >= 500) b.failed++;
  }
  return buckets.map((b, i) => ({ second: i, p50: percentile(b.lat, 50), p95: percentile(b.lat, 95), ok: b.ok, limited: b.limited, failed: b.failed }));
}
