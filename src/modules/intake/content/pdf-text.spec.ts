import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { inflatingPdf, makePdf, slowPagePdf, textPdf } from '../../../../test/support/files.js';
import { WorkClass } from '../../../common/fair/fair-scheduler.js';
import { threadCpuMs } from '../../../common/fair/fair-pool.js';
import { osThreadId } from '../../../common/fair/thread-nice.js';
import { PdfEngine } from './pdf-text.js';

// A worker thread starts and loads PDF.js on first use: slow on a busy machine.
describe(PdfEngine.name, { timeout: 60_000 }, () => {
  const sut = new PdfEngine({ threads: 1, maxQueuedPerOrg: 2, maxPages: 10, timeoutMs: 20_000 });
  const a = { key: 'org-a', cls: WorkClass.Request };
  afterAll(() => sut.close());

  it('extracts the text of every page', async () => {
    await expect(sut.text(makePdf(2, ['first page', 'second page']), a)).resolves.toEqual({
      text: 'first page\n\nsecond page',
      pages: 2,
    });
  });

  it('refuses too many pages (413), truncation and garbage (422), and stops at the time limit (422)', async () => {
    await expect(sut.text(makePdf(11), a)).rejects.toMatchObject({ slug: 'too-many-pages' });
    const pdf = makePdf(1, ['x']);
    await expect(sut.text(pdf.subarray(0, pdf.length - 20), a)).rejects.toMatchObject({
      slug: 'malformed-pdf',
    });
    await expect(sut.text(Buffer.from('%PDF-1.4 nonsense %%EOF'), a)).rejects.toMatchObject({
      slug: 'malformed-pdf',
    });
    // 3000 pages cannot be read in 50 ms: the thread is terminated...
    await expect(sut.text(makePdf(3000), a, { maxPages: 5000, timeoutMs: 50 })).rejects.toMatchObject({
      slug: 'pdf-timeout',
    });
    // ...and the next document gets a fresh one.
    await expect(sut.text(makePdf(1, ['after']), a)).resolves.toEqual({ text: 'after', pages: 1 });
  });

  it('stops a document whose streams inflate past PDF_MAX_MEMORY_MB (422 pdf-too-large), not at its time limit, and the process never holds the inflated bytes', async () => {
    const guarded = new PdfEngine({ threads: 1, maxQueuedPerOrg: 2, maxPages: 10, timeoutMs: 60_000, maxMemoryMb: 64 });
    try {
      await guarded.text(makePdf(1, ['warm']), a); // the thread and PDF.js loaded
      const bomb = inflatingPdf(8 * 1024); // 8 GiB of spaces
      expect(bomb.length).toBeLessThan(64 * 1024);
      const before = process.memoryUsage.rss();
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
      try {
        await expect(guarded.text(bomb, a)).rejects.toMatchObject({ status: 422, slug: 'pdf-too-large' });
      } finally {
        clearInterval(sampler);
      }
      // unwatched, the parse holds gigabytes until the time limit (4.5 GB in 15 s, measured)
      expect(peak - before).toBeLessThan(512 * 1024 * 1024);
      await expect(guarded.text(makePdf(1, ['after']), a)).resolves.toEqual({ text: 'after', pages: 1 });
    } finally {
      await guarded.close();
    }
  });

  it('stops a page that reads past PDF_PAGE_TIMEOUT_MS of CPU (422 pdf-page-timeout, naming it), not a document whose pages together take longer', async () => {
    const guarded = new PdfEngine({ threads: 1, maxQueuedPerOrg: 2, maxPages: 300, timeoutMs: 60_000, pageTimeoutMs: 300 });
    try {
      await guarded.text(makePdf(1, ['warm']), a); // the thread and PDF.js loaded
      // 300 pages of 200 lines: each a few ms, together well over the page limit
      const long = textPdf(300, 200, (p, n) => `page ${p} line ${n} of an ordinary report`);
      const t0 = performance.now();
      await expect(guarded.text(long, a)).resolves.toMatchObject({ pages: 300 });
      const longMs = performance.now() - t0;
      expect(longMs).toBeGreaterThan(300);
      // a 59 KB page of 5 million operators reads for seconds (6.3 s measured): stopped at its first page
      await expect(guarded.text(slowPagePdf(5_000_000, 2), a)).rejects.toMatchObject({
        status: 422,
        slug: 'pdf-page-timeout',
        message: 'page 1 of the PDF took longer than 300 ms to read',
      });
      // the slow page's second page is ordinary: from page 2 on, a document reads as usual
      await expect(guarded.text(slowPagePdf(1_000, 2), a)).resolves.toMatchObject({ text: expect.stringContaining('page 2'), pages: 2 });
      expect(threadCpuMs(osThreadId())).toBeGreaterThan(0); // a thread's CPU time is read (Linux), not the wall clock's fallback
    } finally {
      await guarded.close();
    }
  });

  it('bounds each org’s queue (429 overloaded) without touching another org, and a wait past the limit is 503', async () => {
    const big = makePdf(100);
    const many = { maxPages: 5000 };
    const running = sut.text(big, a, many); // holds the one thread
    const queued = [sut.text(big, a, many), sut.text(big, a, many)];
    await expect(sut.text(big, a, many)).rejects.toMatchObject({ status: 429, slug: 'overloaded' });
    const b = sut.text(makePdf(1, ['b']), { key: 'org-b', cls: WorkClass.Request });
    await expect(b).resolves.toEqual({ text: 'b', pages: 1 });
    await Promise.all([running, ...queued]);
    // Waiting behind another org's document past the limit is the engine's fault, not the document's.
    const hold = sut.text(makePdf(600), a, many);
    // a third org's request takes the spare thread (an org running nothing starts at once)
    const spare = sut.text(makePdf(600), { key: 'org-c', cls: WorkClass.Request }, many);
    await expect(
      sut.text(makePdf(1, ['late']), { key: 'org-b', cls: WorkClass.Request }, { timeoutMs: 30 }),
    ).rejects.toMatchObject({ status: 503, slug: 'engine-timeout' });
    await Promise.all([hold, spare]);
  });

  it('sends a document to its parser threads once, as shared memory, however many turns it takes', async () => {
    const turns = new PdfEngine({ threads: 1, maxQueuedPerOrg: 2, maxPages: 500, timeoutMs: 30_000, turnMs: 10 });
    const sent: unknown[] = [];
    const run = turns.pool.run.bind(turns.pool);
    turns.pool.run = ((who: string, fn: string, input: { data: unknown }, opts: object) => {
      sent.push(input.data);
      return run(who, fn, input, opts);
    }) as typeof turns.pool.run;
    try {
      const long = textPdf(200, 40, (p, n) => `p${p + 1} l${n + 1}`);
      const heavy = ['org-a', 'org-b'].map((key) => turns.text(long, { key, cls: WorkClass.Request }, { maxPages: 500 }));
      // a third org waiting for the threads both hold: the two documents take turns
      await expect(turns.text(makePdf(1, ['quiet']), { key: 'org-c', cls: WorkClass.Request })).resolves.toMatchObject({ pages: 1 });
      const [x, y] = await Promise.all(heavy);
      expect(x.text).toBe(y.text);
      expect(x.text.split('\n\n')).toHaveLength(200);
      const ofA = sent.filter((d) => (d as Uint8Array).byteLength === long.length);
      expect(ofA.length, 'the long documents were read in one turn each: no turns to judge').toBeGreaterThan(2);
      for (const d of ofA) expect((d as Uint8Array).buffer).toBeInstanceOf(SharedArrayBuffer);
      // one buffer per document: two documents, however many turns
      expect(new Set(ofA.map((d) => (d as Uint8Array).buffer)).size).toBe(2);
    } finally {
      await turns.close();
    }
  });

  it('runs its threads at the nice value it is given (ENGINE_NICE); the main thread keeps its own', async () => {
    const niced = new PdfEngine({ threads: 1, maxQueuedPerOrg: 2, maxPages: 10, timeoutMs: 20_000, nice: 9 });
    const niceOf = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
    };
    const at9 = () => readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === 9);
    try {
      expect(at9()).toEqual([]);
      await expect(niced.text(makePdf(1, ['x']), a)).resolves.toMatchObject({ pages: 1 });
      // the pool's thread (and the helper threads it started, which inherit it) at 9
      expect(at9().length).toBeGreaterThanOrEqual(1);
      expect(at9()).not.toContain(String(process.pid));
      expect(niceOf(String(process.pid))).toBe(0);
    } finally {
      await niced.close();
    }
  });
});
