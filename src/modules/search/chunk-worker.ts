// Runs in a worker thread of the `chunk` pool (see chunk-engine.ts): sentence segmentation scales
// with the text, so a long item's chunking stays off the event loop. No static relative import:
// the chunker is loaded by URL with the extension this file runs under (src/ type-stripped in
// tests, dist/ after tsc), so the same file runs from both.
import { workerData } from 'node:worker_threads';

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
