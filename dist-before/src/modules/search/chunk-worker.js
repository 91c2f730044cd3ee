// Runs in a worker thread of the `chunk` pool (see chunk-engine.ts): sentence segmentation scales
// with the text and formatting vectors with the chunks, so neither holds the event loop. No static relative import:
// the chunker is loaded by URL with the extension this file runs under (src/ type-stripped in
// tests, dist/ after tsc), so the same file runs from both.
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
// Engine work yields the CPU to the event loop (ENGINE_NICE): common/fair/thread-nice, loaded by URL.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const { niceThisThread } = (await import(new URL(`../../common/fair/thread-nice${ext}`, import.meta.url).href));
niceThisThread(Number(workerData?.nice ?? 0));
const chunker = (await import(new URL(`./chunker${ext}`, import.meta.url).href));
export function chunk({ text, opts }) {
    return chunker.chunkText(text, opts);
}
const literal = (await import(new URL(`./vector-literal${ext}`, import.meta.url).href));
/** The vectors as a Postgres text[] literal of pgvector literals (UTF-8), handed back without a copy. */
export function vectorsLiteral({ flat, count, dim }) {
    const bytes = literal.vectorsLiteral(flat, count, dim);
    return move({ [transferableSymbol]: [bytes.buffer], [valueSymbol]: bytes });
}
//# sourceMappingURL=chunk-worker.js.map