const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** 1, 2, 5 × 10^k steps giving about `n` ticks over [0, max]. */
function ticks(max, n = 5) {
    if (!(max > 0))
        return [0, 1];
    const raw = max / n;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let v = 0; v <= max + step * 1e-9; v += step)
        out.push(Number(v.toPrecision(12)));
    if (out[out.length - 1] < max)
        out.push(Number((out[out.length - 1] + step).toPrecision(12)));
    return out;
}
const fmt = (v) => (Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k` : String(Number(v.toPrecision(3))));
export function lineChart(spec) {
    const W = spec.width ?? 900;
    const H = spec.height ?? 360;
    const m = { l: 64, r: 16, t: 40, b: 72 };
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;
    const all = spec.series.flatMap((s) => s.points);
    const xMax = Math.max(1, ...all.map((p) => p[0]), ...(spec.bands ?? []).map((b) => b.x1));
    const yTicks = ticks(Math.max(0, ...all.map((p) => p[1])));
    const yMax = yTicks[yTicks.length - 1] || 1;
    const xTicks = ticks(xMax, 10);
    const xm = xTicks[xTicks.length - 1] || 1;
    const X = (x) => m.l + (x / xm) * pw;
    const Y = (y) => m.t + ph - (Math.min(y, yMax) / yMax) * ph;
    const parts = [];
    parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
    parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
    parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);
    for (const b of spec.bands ?? []) {
        parts.push(`<rect x="${X(b.x0).toFixed(1)}" y="${m.t}" width="${Math.max(0, X(b.x1) - X(b.x0)).toFixed(1)}" height="${ph}" fill="${b.color}" opacity="0.35"/>`);
        parts.push(`<text x="${((X(b.x0) + X(b.x1)) / 2).toFixed(1)}" y="${m.t + 14}" text-anchor="middle" fill="#444">${esc(b.label)}</text>`);
    }
    for (const v of yTicks) {
        parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#ddd"/>`);
        parts.push(`<text x="${m.l - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
    }
    for (const v of xTicks) {
        parts.push(`<line x1="${X(v).toFixed(1)}" x2="${X(v).toFixed(1)}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#333"/>`);
        parts.push(`<text x="${X(v).toFixed(1)}" y="${m.t + ph + 17}" text-anchor="middle">${fmt(v)}</text>`);
    }
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`);
    parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`);
    parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 34}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
    parts.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
    for (const s of spec.series) {
        if (s.points.length === 0)
            continue;
        const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${X(p[0]).toFixed(1)} ${Y(p[1]).toFixed(1)}`).join(' ');
        parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    // legend under the axis title
    let lx = m.l;
    const ly = H - 14;
    for (const s of spec.series) {
        parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
        parts.push(`<text x="${lx + 27}" y="${ly}">${esc(s.name)}</text>`);
        lx += 36 + s.name.length * 6.6;
    }
    parts.push('</svg>');
    return parts.join('\n') + '\n';
}
//# sourceMappingURL=svg.js.map