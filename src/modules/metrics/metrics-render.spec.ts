import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { enableProcessMetrics, renderMetrics } from './metrics-render.js';

/** Full collections counted so far, as a scrape reads them. */
async function majorCollections(): Promise<number> {
  const m = /^rocker_nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)$/m.exec(await renderMetrics());
  return Number(m?.[1] ?? 0);
}

describe(enableProcessMetrics.name, () => {
  it('counts every garbage collection, also several that Node reports together', async () => {
    enableProcessMetrics();
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = await majorCollections();
    // four full collections in one synchronous run: Node hands them to the observer as one batch,
    // of which prom-client's own observer counts only the first
    for (let i = 0; i < 4; i++) gc();
    const deadline = Date.now() + 5000;
    let counted = await majorCollections();
    while (counted < before + 4 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      counted = await majorCollections();
    }
    expect(counted - before).toBeGreaterThanOrEqual(4);
  });
});
