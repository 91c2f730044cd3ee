// What an embed job's write costs the event loop: an item's vectors formatted for Postgres the
// way the write did before (pgvector.toSql per vector, then pg's text[] literal and its UTF-8
// bytes, all on the event loop) against the shipped way (packed into one Float32Array, formatted
// on the chunk engine's thread, sent as one bytea), side by side in one run. Prints the longest
// event-loop block of each (a 1 ms timer's worst lateness) and the ratio.
import pgvector from 'pgvector';
import pgUtils from 'pg/lib/utils.js';
import { ChunkEngine } from '../src/modules/search/chunk-engine.js';
import { WorkClass } from '../src/common/fair/fair-scheduler.js';
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 600);
const DIM = 512;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const { prepareValue } = pgUtils;
/** Runs fn while a 1 ms timer watches the loop: total time and the longest block, ms. */
async function watched(fn) {
    let block = 0;
    let last = performance.now();
    const timer = setInterval(() => {
        const now = performance.now();
        block = Math.max(block, now - last);
        last = now;
    }, 1);
    await new Promise((r) => setTimeout(r, 20));
    block = 0;
    last = performance.now();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5)); // the timer's turn after the work
    clearInterval(timer);
    return { ms, block };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function main() {
    const vectors = Array.from({ length: CHUNKS }, (_, i) => Array.from({ length: DIM }, (_, j) => Math.fround(Math.sin(i * DIM + j))));
    const engine = new ChunkEngine({ engineNice: 0, role: 'all' }, { parseWarmThreads: 1 });
    const who = { key: 'bench-org', cls: WorkClass.Job };
    await engine.encodeVectors(vectors, who); // the thread started and warm, as in a worker process
    const before = [];
    const after = [];
    for (let r = 0; r < ROUNDS; r++) {
        before.push(await watched(async () => Buffer.from(prepareValue(vectors.map((v) => pgvector.toSql(v))))));
        after.push(await watched(async () => prepareValue((await engine.encodeVectors(vectors, who)).literal)));
    }
    await engine.onApplicationShutdown();
    const b = median(before.map((x) => x.block));
    const a = median(after.map((x) => x.block));
    console.log(`bench:embed-write  ${CHUNKS} vectors of ${DIM} dimensions, ${ROUNDS} rounds alternating, medians`);
    console.log(`  before (toSql + text[] on the event loop): ${median(before.map((x) => x.ms)).toFixed(1)} ms in all, longest block ${b.toFixed(1)} ms`);
    console.log(`  shipped (chunk engine thread + bytea)    : ${median(after.map((x) => x.ms)).toFixed(1)} ms in all, longest block ${a.toFixed(1)} ms`);
    console.log(`  longest block shipped/before: ${(a / b).toFixed(2)}x`);
}
await main();
//# sourceMappingURL=embed-write.js.map