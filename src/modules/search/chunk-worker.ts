// Runs in a worker thread of the `chunk` pool (see chunk-engine.ts): sentence segmentation scales
// with the text and formatting vectors with the chunks, so neither holds the event loop. No static relative import:
// the chunker is loaded by URL with the extension this file runs under (src/ type-stripped in
// tests, dist/ after tsc), so the same file runs from both.
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';

// Engine work yields the CPU to the event loop (ENGINE_NICE): common/fair/thread-nice, loaded by URL.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const { niceThisThread } = (await import(
  new URL(`../../common/fair/thread-nice${ext}`, import.meta.url).href
)) as typeof import('../../common/fair/thread-nice.js');
niceThisThread(Number((workerData as { nice?: number } | undefined)?.nice ?? 0));

type Chunker = { chunkText(text: string, opts: { maxChars: number; overlapChars: number }): string[] };
const chunker = (await import(new URL(`./chunker${ext}`, import.meta.url).href)) as Chunker;

export function chunk({ text, opts }: { text: string; opts: { maxChars: number; overlapChars: number } }): string[] {
  return chunker.chunkText(text, opts);
}

type VectorLiteral = { vectorsLiteral(flat: Float32Array, count: number, dim: number): Uint8Array };
const literal = (await import(new URL(`./vector-literal${ext}`, import.meta.url).href)) as VectorLiteral;

/** The vectors as a Postgres text[] literal of pgvector literals (UTF-8), handed back without a copy. */
export function vectorsLiteral({ flat, count, dim }: { flat: Float32Array; count: number; dim: number }): Uint8Array {
  const bytes = literal.vectorsLiteral(flat, count, dim);
  return move({ [transferableSymbol]: [bytes.buffer], [valueSymbol]: bytes }) as unknown as Uint8Array;
}
