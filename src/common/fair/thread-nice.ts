// The engines' worker modules (the pdf, html and chunk pools) load this by URL with the extension
// they run under (src/ type-stripped in tests, dist/ after tsc): Node builtins only.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The calling thread's kernel id (Linux: /proc/thread-self names it as <pid>/task/<tid>); 0 elsewhere. */
export function osThreadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || 0;
  } catch {
    return 0;
  }
}

/**
 * Engine work yields the CPU to the event loop (ENGINE_NICE): this thread only (Linux: setpriority
 * on a thread id). Elsewhere the thread keeps the process's priority.
 */
export function niceThisThread(nice: number): void {
  const tid = nice > 0 ? osThreadId() : 0;
  try {
    if (tid) setPriority(tid, nice);
  } catch {
    /* refused: the thread keeps the process's priority */
  }
}

