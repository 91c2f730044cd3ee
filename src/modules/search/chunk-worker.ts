// Runs in a worker thread of the `chunk` pool (see chunk-engine.ts): sentence segmentation scales
// with the text, so a long item's chunking stays off the event loop. No static relative import:
// the chunker is loaded by URL with the extension this file runs under (src/ type-stripped in
// tests, dist/ after tsc), so the same file runs from both.
import { workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

// Engine work yields the CPU to the event loop (ENGINE_NICE): this thread only (Linux).
try {
  const nice = Number((workerData as { nice?: number } | undefined)?.nice ?? 0);
  if (nice > 0) setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
} catch {
  /* not Linux: the thread keeps the process's priority */
}

type Chunker = { chunkText(text: string, opts: { maxChars: number; overlapChars: number }): string[] };
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const chunker = (await import(new URL(`./chunker${ext}`, import.meta.url).href)) as Chunker;

export function chunk({ text, opts }: { text: string; opts: { maxChars: number; overlapChars: number } }): string[] {
  return chunker.chunkText(text, opts);
}
