import { execFileSync } from 'node:child_process';
import type { IntakeConfig } from '../../src/config/slices.js';

/** The OCR engine's settings for its tests: one slot, 100 ms turns, one paused process at most. */
export const ocrConfig = (over: Partial<IntakeConfig> = {}) =>
  ({
    ocrConcurrency: 1,
    ocrMaxQueuedPerOrg: 4,
    ocrTimeoutMs: 60_000,
    ocrMaxMemoryMb: 512,
    ocrTurnMs: 100,
    ocrMaxPaused: 1,
    ...over,
  }) as IntakeConfig;

/** A process's children still alive (the spawner helper's tesseract processes). */
export const childrenOf = (pid: number): string[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};
