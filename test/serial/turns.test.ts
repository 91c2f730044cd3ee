import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from '../support/db.js';
import { envFor } from '../support/env.js';
import { orgWithRoles } from '../support/fixtures.js';
import { densePng, makePdf, textPdf, textPng } from '../support/files.js';
import { startIntakeApp } from '../support/intake.js';
import { childrenOf, ocrConfig } from '../support/ocr.js';
import { WorkClass } from '../../src/common/fair/fair-scheduler.js';
import { ProcessSpawner } from '../../src/common/process/spawner.js';
import { PdfEngine, PdfService } from '../../src/modules/intake/content/pdf-text.js';
import { HtmlEngine } from '../../src/modules/intake/content/html.js';
import { heavyHtml, SMALL_HTML } from '../support/load/fair-share.js';
import { OcrEngine, TesseractCliEngine } from '../../src/modules/intake/ocr/ocr.engine.js';

/**
 * Turns (PDF_TURN_MS, OCR_TURN_MS, HTML_TURN_MS): two orgs' long files hold every slot of an engine, its spare
 * included, and a third org's small file must be done within a third of their time. Latency ratios
 * measured inside each test: in test/serial/, run alone (beside other suites a busy machine, not
 * the engine, would decide them). Without turns the small file waits for a long one read whole.
 */
type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;
const who = (key: string) => ({ key, cls: WorkClass.Request });

describe('engine turns, without HTTP', { timeout: 120_000 }, () => {
  const once = new PdfEngine({ threads: 1, maxQueuedPerOrg: 2, maxPages: 500, timeoutMs: 60_000 });
  const spawner = new ProcessSpawner();
  afterAll(async () => {
    await Promise.all([once.close(), spawner.close()]);
  });

  it('takes turns (PDF_TURN_MS): a third org’s one-page PDF waits a turn, not two orgs’ long documents, whose text comes out whole', async () => {
    const long = textPdf(500, 200, (p, n) => `p${p + 1} l${n + 1}`);
    const many = { maxPages: 500 };
    const whole = await once.text(long, who('org-a'), many); // read in one go (once takes no turns)
    const turns = new PdfEngine({
      threads: 1,
      maxQueuedPerOrg: 2,
      maxPages: 500,
      timeoutMs: 60_000,
      turnMs: 50,
    });
    try {
      // both threads (the one slot and the spare) started and PDF.js loaded in each
      await Promise.all([
        turns.text(makePdf(1, ['x']), who('org-a')),
        turns.text(makePdf(1, ['x']), who('org-b')),
      ]);
      const t0 = performance.now();
      const since = () => performance.now() - t0;
      const heavy = [who('org-a'), who('org-b')].map((w) =>
        turns.text(long, w).then((r) => ({ r, ms: since() })),
      );
      expect(turns.pool.scheduler.stats().runningByOrg).toEqual({ 'org-a': 1, 'org-b': 1 });
      const quietMs = await turns.text(makePdf(1, ['quiet']), who('org-c')).then(since);
      const done = await Promise.all(heavy);
      for (const { r } of done) expect(r).toEqual(whole);
      // without turns the quiet document waits until one of them is read whole
      expect(quietMs).toBeLessThan(Math.min(...done.map((d) => d.ms)) / 3);
    } finally {
      await turns.close();
    }
  });

  it('takes turns (OCR_TURN_MS): a third org’s small image waits a turn, not two orgs’ dense ones, whose text comes out whole', async () => {
    const sut = new TesseractCliEngine(ocrConfig(), spawner);
    const dense = densePng(60, 120, 2, 7);
    const small = textPng(['HELLO WORLD'], 4);
    const t0 = performance.now();
    const since = () => performance.now() - t0;
    // org a holds the one slot, org b the spare: org c's image waits for one of them
    const heavy = ['org-a', 'org-b'].map((k) =>
      sut.recognize(dense, who(k)).then((text) => ({ text, ms: since() })),
    );
    expect(sut.engine.stats().runningByOrg).toEqual({ 'org-a': 1, 'org-b': 1 });
    const quiet = await sut.recognize(small, who('org-c'));
    const quietMs = since();
    expect(quiet).toBe('HELLO WORLD');
    const done = await Promise.all(heavy);
    // paused and continued, a process reads the same text as one never paused
    expect(done[0].text.length).toBeGreaterThan(1000);
    expect(done[1].text).toBe(done[0].text);
    // without turns the small image waits until one dense page is read whole
    expect(quietMs).toBeLessThan(Math.min(...done.map((d) => d.ms)) / 3);
    expect(childrenOf(spawner.helperPid())).toEqual([]);
  });
});

// Through the service as configured (PDF_TURN_MS, OCR_TURN_MS, HTML_TURN_MS at their defaults): two orgs' files
// hold every slot of the engine, its spare included, and a third org's small file must not wait
// for one of them to be read whole. The engines' own specs measure the same without HTTP.
describe('turns: two orgs holding the PDF pool, the HTML pool or the OCR slots delay a third org by a turn, not by their files', () => {
  let db: TestDb;
  let t: Awaited<ReturnType<typeof startIntakeApp>>;
  const orgs: Tenant[] = [];
  const send = (o: Tenant, data: Buffer, filename: string, contentType: string) => {
    const started = performance.now();
    return request(t.url)
      .post('/v1/knowledge/upload')
      .set('Authorization', `Bearer ${o.tokens.member}`)
      .attach('file', data, { filename, contentType })
      .then((res) => ({ status: res.status, ms: performance.now() - started }));
  };

  beforeAll(async () => {
    db = await createTestDb();
    t = await startIntakeApp(
      envFor(db.appUrl, db.ownerUrl, {
        UPLOAD_MAX_BYTES: String(4 * 1024 * 1024),
        PDF_MAX_PAGES: '500',
        OCR_SYNC_MAX_PIXELS: '40000000',
        OCR_CONCURRENCY: '1',
        // as shipped: the threads a newcomer's document runs on while others' are held are started at boot
        PARSE_WARM_THREADS: '2',
        // the pages and images are charged (ocr policy): room for them, so the engines are what is measured
        RATE_LIMIT_DEFAULTS: JSON.stringify({ ocr: { limit: 100_000, window_s: 60 } }),
      }),
    );
    for (let i = 0; i < 3; i++) orgs.push(await orgWithRoles(db.owner));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const third = async (
    stats: () => { runningByOrg: Record<string, number> },
    heavy: [Buffer, string, string],
    small: [Buffer, string, string],
  ) => {
    const [a, b, c] = orgs;
    const long = [send(a, ...heavy)];
    // org a holds the slot before org b's file takes the spare
    await expect.poll(() => stats().runningByOrg[a.org.id], { timeout: 10_000 }).toBe(1);
    long.push(send(b, ...heavy));
    await expect.poll(() => stats().runningByOrg[b.org.id], { timeout: 10_000 }).toBe(1);
    const quiet = await send(c, ...small);
    const done = await Promise.all(long);
    expect([quiet.status, ...done.map((d) => d.status)]).toEqual([201, 201, 201]);
    // without turns the small file waits until one of the long ones is read whole
    expect(quiet.ms).toBeLessThan(Math.min(...done.map((d) => d.ms)) / 3);
  };

  it('PDF: a one-page document beside two orgs’ 500-page ones', { timeout: 60_000 }, async () => {
    const pdfs = t.nest.get(PdfService).pool.scheduler;
    await third(
      () => pdfs.stats(),
      [textPdf(500, 200, (p, n) => `p${p + 1} l${n + 1}`), 'long.pdf', 'application/pdf'],
      [makePdf(1, ['quiet']), 'quiet.pdf', 'application/pdf'],
    );
  });

  it('HTML: a small page beside two orgs’ 4 MiB pages of markup', { timeout: 60_000 }, async () => {
    const html = t.nest.get(HtmlEngine).pool.scheduler;
    await third(
      () => html.stats(),
      // the upload limit less room for the form's own bytes: about 1.4 s of sanitising each
      [heavyHtml(4 * 1024 * 1024 - 4096), 'long.html', 'text/html'],
      [Buffer.from(SMALL_HTML), 'quiet.html', 'text/html'],
    );
  });

  it('OCR: a one-line image beside two orgs’ dense pages', { timeout: 90_000 }, async () => {
    const ocr = (t.nest.get(OcrEngine) as TesseractCliEngine).engine;
    await third(
      () => ocr.stats(),
      [densePng(60, 120, 2, 3), 'dense.png', 'image/png'],
      [textPng(['HELLO WORLD'], 4), 'quiet.png', 'image/png'],
    );
  });
});
