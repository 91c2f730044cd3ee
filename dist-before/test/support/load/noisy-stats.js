import { percentile } from './load.js';
export function summarize(samples, dropped = 0) {
    const lat = samples.filter((s) => s.status !== 0).map((s) => s.latency);
    const count = (f) => samples.filter((s) => f(s.status)).length;
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
/**
 * The most 2xx answers the limiter admitted in any span of `windowS` seconds, across every API
 * instance (the cross-instance quota check). The limiter is a token bucket: in any span of one
 * window it admits at most its burst (by default the limit) plus one window's refill (the limit),
 * so the bound to compare with is burst + limit. A request was decided between its send time and
 * its arrival; the sliding count uses the send time and widens each span by the latency, so the
 * count is never smaller than the true one. Admitted answers without a RateLimit header for the
 * policy are counted apart.
 */
export function admittedPerWindow(samples, policy, windowS) {
    const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
    const withoutHeader = ok.filter((s) => s.resets?.[policy] === undefined).length;
    const times = ok.filter((s) => s.resets?.[policy] !== undefined).sort((a, b) => a.t - b.t);
    const windows = [];
    let j = 0;
    for (let i = 0; i < times.length; i++) {
        // every answer sent within windowS of this one (plus its latency) shares a span with it
        const until = times[i].t + windowS * 1000 + times[i].latency;
        if (j < i)
            j = i;
        while (j + 1 < times.length && times[j + 1].t <= until)
            j++;
        windows.push({ endFrom: times[i].t, endTo: until, admitted: j - i + 1 });
    }
    return { windows, withoutHeader };
}
export const verdict = (name, ok, detail) => ({ name, status: ok ? 'pass' : 'fail', detail });
export const skipped = (name, why) => ({ name, status: 'skipped', detail: why });
/** Latency may grow by `ratio`, or by `slackMs` when that is larger (a few ms of noise on a tiny p95 is not a neighbour). */
export function latencyVerdict(name, alone, flood, ratio, slackMs) {
    const bound = Math.max(alone * ratio, alone + slackMs);
    const r = flood / alone;
    return verdict(name, Number.isFinite(flood) && Number.isFinite(alone) && flood <= bound, `${flood.toFixed(1)} ms with flood vs ${alone.toFixed(1)} ms alone = ${r.toFixed(2)}x (bound ${ratio}x${slackMs ? ` or +${slackMs} ms` : ''} = ${bound.toFixed(1)} ms)`);
}
/** Per-second buckets for the charts: latency percentiles and status counts. */
export function perSecond(samples, from, to) {
    const n = Math.max(0, Math.ceil((to - from) / 1000));
    const buckets = Array.from({ length: n }, () => ({ lat: [], ok: 0, limited: 0, failed: 0 }));
    for (const s of samples) {
        const i = Math.floor((s.t - from) / 1000);
        if (i < 0 || i >= n)
            continue;
        const b = buckets[i];
        if (s.status !== 0)
            b.lat.push(s.latency);
        if (s.status >= 200 && s.status < 300)
            b.ok++;
        else if (s.status === 429)
            b.limited++;
        else if (s.status === 0 || s.status >= 500)
            b.failed++;
    }
    return buckets.map((b, i) => ({ second: i, p50: percentile(b.lat, 50), p95: percentile(b.lat, 95), ok: b.ok, limited: b.limited, failed: b.failed }));
}
//# sourceMappingURL=noisy-stats.js.map