import { afterEach, describe, expect, it } from 'vitest';
import type { IntakeConfig, ProcessConfig } from '../../../config/slices.js';
import { WorkClass } from '../../../common/fair/fair-scheduler.js';
import { HtmlEngine } from './html.js';
import { clean, type CleanUploadAnswer } from './html-worker.js';

/** Markup the sanitiser walks and rewrites: about 0.35 s a MiB of it on this machine. */
const heavy = (bytes: number, tag: string) => {
  const block =
    `<div class="c" style="color:red" onclick="x()"><p><b><i><a href="https://example.com/${tag}" target="_blank">` +
    '<span data-x="1"><em><img src="x.png" onerror="y()"></em></span></a></i></b></p><script>evil()</script><ul><li>x</li></ul></div>\n';
  return `<!doctype html><html><body>${block.repeat(Math.floor(bytes / block.length))}</body></html>`;
};

const engine = (turnMs: number) =>
  new HtmlEngine(
    {
      parseThreads: 1,
      // as shipped: the threads started at boot (three with turns: the slot, the spare, a newcomer's)
      parseWarmThreads: 2,
      parseMaxQueuedPerOrg: 8,
      parseTimeoutMs: 60_000,
      htmlTurnMs: turnMs,
      htmlMaxPaused: 2,
    } as IntakeConfig,
    { engineNice: 0 } as ProcessConfig,
  );

describe('HtmlEngine turns', () => {
  let sut: HtmlEngine;
  afterEach(() => sut.onApplicationShutdown());

  it('holds a large document at an element while a third org’s smaller one runs, and the held one comes out as it would whole', { timeout: 30_000 }, async () => {
    sut = engine(50);
    await expect.poll(() => sut.pool.threads, { timeout: 10_000 }).toBe(3);
    // org c's page is a third of theirs: the document held for it waits as long as c's walk takes
    const docs = { a: heavy(3 << 20, 'a'), b: heavy(3 << 20, 'b'), c: heavy(1 << 20, 'c') };
    const ended: string[] = [];
    // org a's document is an upload (bytes), org b's a JSON body's HTML: both walks take turns
    const a = sut.pool
      .runInTurns<CleanUploadAnswer>('a', 'cleanUpload', { bytes: Buffer.from(docs.a).buffer, offset: 0, length: Buffer.byteLength(docs.a) })
      .then((r) => (ended.push('a'), r));
    const b = sut.pool
      .runInTurns<{ html: string; text: string; heldMs: number }>('b', 'cleanTask', { html: docs.b })
      .then((r) => (ended.push('b'), r));
    expect(sut.pool.scheduler.stats().runningByOrg).toEqual({ a: 1, b: 1 });
    const small = await sut.clean(docs.c, { key: 'c', cls: WorkClass.Request });
    ended.push('c');
    const [ra, rb] = await Promise.all([a, b]);
    // without turns org c waits for a whole 3 MiB document (about a second of CPU)
    expect(ended[0]).toBe('c');
    if (!ra.ok) throw new Error('org a’s upload was refused');
    // the document that gave way was held (its thread waited) and went on where it stopped
    expect(Math.max(ra.heldMs, rb.heldMs)).toBeGreaterThan(0);
    const whole = { a: clean(docs.a), b: clean(docs.b), c: clean(docs.c) };
    expect(small).toEqual(whole.c);
    expect(Buffer.from(ra.html).toString()).toBe(whole.a.html);
    expect(Buffer.from(ra.text).toString()).toBe(whole.a.text);
    expect({ html: rb.html, text: rb.text }).toEqual(whole.b);
    expect(sut.pool.held).toBe(0);
  });
});
