import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ProcessSpawner } from '../src/common/process/spawner.js';
/**
 * npm run bench:spawn — what starting espeak-ng costs the caller's event loop: child_process.spawn
 * in this process vs the ProcessSpawner helper, with this process holding about as much memory as
 * an API process with the embedding model loaded (a fork costs in proportion to it). Alternating
 * rounds, same run; prints the synchronous time of the call and the event loop's worst stall.
 */
const ROUNDS = Number(process.env.BENCH_SPAWN_ROUNDS ?? 4);
const PER_ROUND = Number(process.env.BENCH_SPAWN_PER_ROUND ?? 25);
const HEAP_MB = Number(process.env.BENCH_SPAWN_HEAP_MB ?? 300);
const BIN = process.env.ESPEAK_BIN ?? 'espeak-ng';
// Ballast: live objects and buffers, like a loaded model and its caches.
const ballast = [];
for (let mb = 0; mb < HEAP_MB; mb += 8)
    ballast.push(Buffer.alloc(8 << 20, mb), Array.from({ length: 20_000 }, (_, i) => ({ i, s: `x${i}` })));
const spawner = new ProcessSpawner();
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
async function round(kind) {
    const sync = [];
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let i = 0; i < PER_ROUND; i++) {
        const t = performance.now();
        const child = kind === 'direct' ? spawn(BIN, ['-b', '1', '--stdout'], { stdio: ['pipe', 'pipe', 'ignore'] }) : spawner.spawn(BIN, ['-b', '1', '--stdout']);
        sync.push(performance.now() - t);
        child.stdout.resume();
        child.stdin.end('Hi.');
        await once(child, 'close');
    }
    h.disable();
    return { sync, maxStallMs: h.max / 1e6 };
}
await round('helper'); // start the helper and warm both paths
await round('direct');
const res = { direct: { sync: [], stall: [] }, helper: { sync: [], stall: [] } };
for (let r = 0; r < ROUNDS; r++) {
    for (const kind of ['direct', 'helper']) {
        const { sync, maxStallMs } = await round(kind);
        res[kind].sync.push(...sync);
        res[kind].stall.push(maxStallMs);
    }
}
await spawner.close();
const rss = (process.memoryUsage().rss / 1e6).toFixed(0);
const line = (k) => `${k.padEnd(7)} spawn() call p50 ${quantile(res[k].sync, 0.5).toFixed(2)} ms, p95 ${quantile(res[k].sync, 0.95).toFixed(2)} ms; worst event-loop stall per round ${res[k].stall.map((s) => s.toFixed(1)).join(' / ')} ms`;
console.log(`# starting ${BIN} (${ROUNDS} x ${PER_ROUND} per way, alternating), this process ${rss} MB resident`);
console.log(line('direct'));
console.log(line('helper'));
console.log(`ratio helper/direct: spawn() call p95 ${(quantile(res.helper.sync, 0.95) / quantile(res.direct.sync, 0.95)).toFixed(3)}x, worst stall ${(Math.max(...res.helper.stall) / Math.max(...res.direct.stall)).toFixed(2)}x`);
void ballast;
//# sourceMappingURL=spawn.js.map