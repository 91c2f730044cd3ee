import { readFileSync, writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
const file = args[0];
if (!file) {
    console.error('usage: flame <file.cpuprofile> [--svg out.svg] [--title text] [--top n]');
    process.exit(2);
}
const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(opt('--top') ?? 25);
/** Sample time per node (µs), from the sample list and its deltas (hitCount ignores the deltas). */
const selfUs = new Map();
const fromUs = Number(opt('--from-s') ?? 0) * 1e6;
let at = 0;
for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs)
        continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, dt));
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
/** The bucket a frame's self time counts under. */
export function packageOf(frame) {
    const { url, functionName } = frame;
    if (functionName === '(idle)')
        return '(idle)';
    if (functionName === '(garbage collector)')
        return '(gc)';
    if (functionName === '(program)')
        return '(program)';
    if (!url)
        return '(native)';
    const nm = url.lastIndexOf('node_modules/');
    if (nm >= 0) {
        const rest = url.slice(nm + 'node_modules/'.length).split('/');
        return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    }
    if (url.startsWith('node:'))
        return url;
    const src = url.indexOf('/dist/');
    return src >= 0 ? url.slice(src + '/dist/'.length) : url;
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
const busy = total - idle;
const pct = (us) => `${((100 * us) / busy).toFixed(1)}%`;
const pkgs = new Map();
const fns = new Map();
for (const [id, us] of selfUs) {
    const f = byId.get(id).callFrame;
    if (f.functionName === '(idle)')
        continue;
    const p = packageOf(f);
    pkgs.set(p, (pkgs.get(p) ?? 0) + us);
    const name = `${f.functionName || '(anonymous)'}  ${p}:${f.lineNumber + 1}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
}
console.log(`${file}\n  ${(total / 1e6).toFixed(2)} s sampled, busy ${(busy / 1e6).toFixed(2)} s (${((100 * busy) / total).toFixed(0)}% of the wall)\n`);
console.log('self time by package (share of busy time)');
for (const [p, us] of [...pkgs].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${pct(us).padStart(6)}  ${p}`);
console.log('\nfunctions with the most self time');
for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${pct(us).padStart(6)}  ${f}`);
const svgOut = opt('--svg');
if (svgOut)
    writeFileSync(svgOut, flameSvg(opt('--title') ?? file));
/** Inclusive time per node, idle excluded. */
function inclusive(id, memo) {
    const n = byId.get(id);
    if (n.callFrame.functionName === '(idle)')
        return 0;
    let t = selfUs.get(id) ?? 0;
    for (const c of n.children ?? [])
        t += inclusive(c, memo);
    memo.set(id, t);
    return t;
}
function flameSvg(title) {
    const width = 1600;
    const rowH = 16;
    const memo = new Map();
    const root = profile.nodes[0].id;
    const rootUs = inclusive(root, memo);
    const boxes = [];
    let depthMax = 0;
    const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const color = (p) => {
        if (p.startsWith('('))
            return '#c8c8c8';
        if (p.startsWith('node:'))
            return '#e6b35c';
        if (!p.includes('/') || p.startsWith('@')) {
            let h = 0;
            for (const ch of p)
                h = (h * 31 + ch.charCodeAt(0)) % 360;
            return `hsl(${h % 50},75%,${62 + (h % 15)}%)`; // packages: warm hues
        }
        return '#7fb8e6'; // our own code
    };
    const walk = (id, x, depth) => {
        const us = memo.get(id) ?? 0;
        const w = (us / rootUs) * width;
        if (w < 0.3)
            return;
        depthMax = Math.max(depthMax, depth);
        const f = byId.get(id).callFrame;
        const p = packageOf(f);
        const name = `${f.functionName || '(anonymous)'} (${p}:${f.lineNumber + 1})`;
        const label = w > 40 ? esc(name.slice(0, Math.floor(w / 6.5))) : '';
        boxes.push(`<g><title>${esc(name)} ${((100 * us) / rootUs).toFixed(2)}%</title><rect x="${x.toFixed(1)}" y="${depth}" width="${w.toFixed(1)}" height="${rowH - 1}" fill="${color(p)}"/>` +
            (label ? `<text x="${(x + 3).toFixed(1)}" y="${depth}">${label}</text>` : '') +
            '</g>');
        let cx = x;
        for (const c of byId.get(id).children ?? []) {
            walk(c, cx, depth + 1);
            cx += ((memo.get(c) ?? 0) / rootUs) * width;
        }
    };
    walk(root, 0, 0);
    const height = (depthMax + 1) * rowH + 40;
    // depth → y, the root at the bottom (a flame graph, not an icicle)
    const body = boxes
        .map((b) => b
        .replace(/<rect x="([\d.]+)" y="(\d+)"/, (_, x, d) => `<rect x="${x}" y="${height - 10 - (Number(d) + 1) * rowH}"`)
        .replace(/<text x="([\d.]+)" y="(\d+)"/, (_, x, d) => `<text x="${x}" y="${height - 10 - (Number(d) + 1) * rowH + 11.5}"`))
        .join('\n');
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="10">
<rect width="100%" height="100%" fill="#fff"/>
<text x="4" y="14" font-size="13">${esc(title)} (busy samples only; width = share of CPU time; blue = src/, warm = packages, yellow = node internals)</text>
${body}
</svg>
`;
}
//# sourceMappingURL=flame.js.map