import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { densePng } from '../../../../test/support/files.js';
import { childrenOf, ocrConfig } from '../../../../test/support/ocr.js';
import { WorkClass } from '../../../common/fair/fair-scheduler.js';
import { ProcessSpawner } from '../../../common/process/spawner.js';
import { TesseractCliEngine } from './ocr.engine.js';

/** A process's state letter (`T`: stopped), or '' once it is gone. */
const stateOf = (pid: string): string => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
};

// tesseract reads a dense page for seconds: the engine's turns are measured against it.
describe(TesseractCliEngine.name, { timeout: 120_000 }, () => {
  const spawner = new ProcessSpawner();
  afterAll(() => spawner.close());
  const who = (key: string, cls = WorkClass.Request) => ({ key, cls });

  it('pauses processes with SIGSTOP, one at a time, and kills them, paused or running, at their time limit', async () => {
    const sut = new TesseractCliEngine(ocrConfig({ ocrTimeoutMs: 3000 }), spawner);
    const helper = spawner.helperPid();
    // three orgs' dense pages on one slot and the spare: one of them is always waiting its turn
    const all = ['org-a', 'org-b', 'org-c'].map((k, i) => sut.recognize(densePng(60, 120, 2, 10 + i), who(k)));
    let settled = false;
    void Promise.allSettled(all).then(() => (settled = true));
    const stoppedCounts = new Set<number>();
    while (!settled) {
      stoppedCounts.add(childrenOf(helper).filter((pid) => stateOf(pid) === 'T').length);
      await new Promise((r) => setTimeout(r, 20)); // sampling, not synchronisation: the loop ends when all settle
    }
    expect([...stoppedCounts].sort()).toEqual([0, 1]);
    for (const r of await Promise.allSettled(all)) {
      expect(r.status).toBe('rejected');
      expect(['ocr-timeout', 'engine-timeout']).toContain((r as PromiseRejectedResult).reason.slug);
    }
    await expect.poll(() => childrenOf(helper), { timeout: 5000 }).toEqual([]);
  });
});
