import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, asOrg, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { orgWithRoles } from './support/fixtures.js';
import { dotsPng, inflatingPdf, jpegHeader, makePdf, pngBomb, slowPagePdf, textPng } from './support/files.js';
import { RecordingEnqueuer, startIntakeApp } from './support/intake.js';
import type { TestApp } from './support/app.js';
import { JobKind } from '../src/modules/ingest/ingest.types.js';
import { runJobHandler } from '../src/modules/ingest/run-handler.js';
import { TenantTransactions } from '../src/tenancy/tenant-context.js';
import { OcrJobHandler } from '../src/modules/intake/ocr/ocr.handler.js';
import { PermanentJobError } from '../src/modules/ingest/ingest.types.js';
import { clean } from '../src/modules/intake/content/html-worker.js';
import { TEXT_INLINE_MAX } from '../src/modules/intake/content/sniff.js';

const MAX = 1024 * 1024;
/** HTML past TEXT_INLINE_MAX: the event loop reads only its start, the HTML worker all of it. */
const bigHtml = (tail = '') =>
  Buffer.concat([
    Buffer.from(
      '<!doctype html><html><body>' +
        '<div onclick="x()"><p>Gr\u00e4nit <a href="https://e.example/a" target="_blank">link</a><script>bad()</script></p></div>\n'.repeat(
          Math.ceil((TEXT_INLINE_MAX + 50_000) / 100),
        ) +
        '</body></html>',
    ),
    Buffer.from(tail, 'latin1'),
  ]);

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

describe('POST /v1/knowledge/upload and POST /v1/ocr', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  const auth = (r: request.Test, role: keyof Tenant['tokens'] = 'member') =>
    r.set('Authorization', `Bearer ${A.tokens[role]}`);
  const upload = (data: Buffer | string, filename: string, contentType?: string, title?: string) => {
    const r = auth(request(t.url).post('/v1/knowledge/upload'));
    if (title) r.field('title', title);
    return r.attach('file', Buffer.from(data), contentType ? { filename, contentType } : { filename });
  };
  const raw = (contentType: string, body: string) =>
    auth(request(t.url).post('/v1/knowledge/upload')).set('Content-Type', contentType).send(body);
  const counts = () =>
    asOrg(db.owner, A.org.id, async (c) => ({
      items: (await c.query('SELECT count(*)::int AS n FROM knowledge_items')).rows[0].n as number,
      blobs: (await c.query('SELECT count(*)::int AS n FROM knowledge_blobs')).rows[0].n as number,
    }));

  beforeAll(async () => {
    db = await createTestDb();
    t = await startIntakeApp(
      envFor(db.appUrl, db.ownerUrl, {
        UPLOAD_MAX_BYTES: String(MAX),
        PDF_MAX_PAGES: '100',
        // every accepted image is read in the request here (the ocr job has its own suite below)
        OCR_SYNC_MAX_PIXELS: '40000000',
      }),
    );
    A = await orgWithRoles(db.owner);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  describe('accepted files', () => {
    it('plain text → item with its text', async () => {
      const res = await upload('Granite is hard.\nBasalt is dark.', 'notes.txt', 'text/plain').expect(201);
      expect(res.body).toMatchObject({
        source_kind: 'upload',
        mime_type: 'text/plain',
        file_name: 'notes.txt',
        byte_size: 32,
        status: 'pending',
      });
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      expect(item.body.content_text).toBe('Granite is hard.\nBasalt is dark.');
      expect(item.body.content_html).toBeNull();
    });

    it('markdown (name says .md, content is text) with a title field', async () => {
      const res = await upload('# Rocks\n\n* granite\n* basalt\n', 'rocks.md', undefined, 'My rocks').expect(
        201,
      );
      expect(res.body).toMatchObject({ mime_type: 'text/markdown', title: 'My rocks' });
    });

    it('HTML detected by content even without a name extension or a type', async () => {
      const res = await upload(
        '<!doctype html><p onclick="x()">Hello <b>rocks</b><script>bad()</script></p>',
        'page',
        'application/octet-stream',
      ).expect(201);
      expect(res.body.mime_type).toBe('text/html');
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      expect(item.body.content_html).toBe('<p>Hello <b>rocks</b></p>');
      expect(item.body.content_text).toBe('Hello rocks');
    });

    it('large HTML (read by the worker, stored from its bytes) is stored as the sanitiser makes it', async () => {
      const html = bigHtml();
      const res = await upload(html, 'big.html', 'text/html').expect(201);
      expect(res.body).toMatchObject({ mime_type: 'text/html', byte_size: html.length });
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      const expected = clean(html.toString('utf8'));
      expect(item.body.content_html.length).toBeGreaterThan(100_000);
      expect(item.body.content_html).toBe(expected.html);
      expect(item.body.content_text).toBe(expected.text);
      expect(item.body.content_html).not.toContain('script');
    });

    it('large text is stored from its bytes, BOM dropped', async () => {
      const text = 'Gr\u00e4nit \u{1F5FF} is hard.\n'.repeat(Math.ceil((TEXT_INLINE_MAX + 10_000) / 20));
      const res = await upload(`\ufeff${text}`, 'big.txt', 'text/plain').expect(201);
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      expect(item.body.content_text).toBe(text);
      expect(item.body.content_html).toBeNull();
    });

    it('HTML named .txt is kept as text only (never stored as HTML)', async () => {
      const res = await upload('<p>hi <script>x()</script></p>', 'a.txt').expect(201);
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      expect(res.body.mime_type).toBe('text/plain');
      expect(item.body.content_html).toBeNull();
    });

    it('PDF → its text, page by page', async () => {
      const res = await upload(
        makePdf(2, ['Granite page one', 'Basalt page two']),
        'rocks.pdf',
        'application/pdf',
      ).expect(201);
      expect(res.body.mime_type).toBe('application/pdf');
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      expect(item.body.content_text).toContain('Granite page one');
      expect(item.body.content_text).toContain('Basalt page two');
    });

    it('PNG with text → OCR text stored', async () => {
      const res = await upload(textPng(['HELLO WORLD', 'ROCKER STONES']), 'scan.png', 'image/png').expect(
        201,
      );
      expect(res.body.mime_type).toBe('image/png');
      const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.id}`)).expect(200);
      for (const w of ['HELLO', 'WORLD', 'ROCKER', 'STONES']) expect(item.body.content_text).toContain(w);
    });

    it('weird names are normalised: basename only, no control or bidi characters, capped length', async () => {
      const cases: [string, string][] = [
        ['../../etc/passwd.txt', 'passwd.txt'],
        ['C:\\Users\\x\\evil.txt', 'evil.txt'],
        ['a\u0007b\u202ec\u200b.txt', 'abc.txt'],
        ['  .hidden.txt  ', 'hidden.txt'],
        ['tab\there.txt', 'tabhere.txt'],
        ['...', 'upload'],
      ];
      for (const [raw, expected] of cases) {
        const res = await upload('some text', raw, 'text/plain');
        expect(res.status, raw).toBe(201);
        expect(res.body.file_name, raw).toBe(expected);
      }
      const long = await upload('some text', `${'x'.repeat(1000)}.txt`).expect(201);
      expect([...long.body.file_name].length).toBeLessThanOrEqual(200);
      expect(long.body.file_name.endsWith('.txt')).toBe(true);
    });
  });

  describe('refused files: 4xx problem+json, never 500, nothing stored', () => {
    const exe = Buffer.concat([
      Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'),
      Buffer.alloc(120),
      Buffer.from('PE\x00\x00', 'latin1'),
      Buffer.alloc(200),
    ]);
    // Put the PE offset at 0x3c so file-type recognises it.
    exe.writeUInt32LE(136, 0x3c);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 8, 0]), Buffer.alloc(60)]);
    const gif = Buffer.concat([
      Buffer.from('GIF89a', 'latin1'),
      Buffer.from([1, 0, 1, 0, 0, 0, 0]),
      Buffer.alloc(20),
    ]);
    const png = textPng(['HELLO']);
    const pdf = makePdf(1, ['hello']);
    const truncated = pdf.subarray(0, Math.floor(pdf.length / 2));
    const svg =
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>';

    const cases: [string, () => request.Test, number, string][] = [
      [
        'EXE named .png, typed image/png (spoofed)',
        () => upload(exe, 'cat.png', 'image/png'),
        415,
        'unsupported-media-type',
      ],
      ['EXE named .pdf', () => upload(exe, 'doc.pdf'), 415, 'unsupported-media-type'],
      [
        'ELF binary as text/plain',
        () => upload(elf, 'notes.txt', 'text/plain'),
        415,
        'unsupported-media-type',
      ],
      ['ZIP named .txt', () => upload(zip, 'notes.txt'), 415, 'unsupported-media-type'],
      ['GIF (not allowed)', () => upload(gif, 'a.gif'), 415, 'unsupported-media-type'],
      ['PNG bytes named .pdf (mismatch)', () => upload(png, 'doc.pdf'), 415, 'media-type-mismatch'],
      [
        'PNG bytes typed application/pdf (mismatch)',
        () => upload(png, 'x', 'application/pdf'),
        415,
        'media-type-mismatch',
      ],
      [
        'PDF bytes typed image/png (mismatch)',
        () => upload(pdf, 'document', 'image/png'),
        415,
        'media-type-mismatch',
      ],
      ['text named .jpg (mismatch)', () => upload('just text', 'photo.jpg'), 415, 'media-type-mismatch'],
      [
        'text typed image/jpeg (mismatch)',
        () => upload('just text', 'a', 'image/jpeg'),
        415,
        'media-type-mismatch',
      ],
      ['SVG named .svg', () => upload(svg, 'logo.svg'), 415, 'unsupported-media-type'],
      ['SVG named .html', () => upload(svg, 'logo.html', 'text/html'), 415, 'unsupported-media-type'],
      [
        'SVG without XML declaration named .txt',
        () => upload('<svg onload=alert(1)></svg>', 'x.txt'),
        415,
        'unsupported-media-type',
      ],
      [
        'SVG typed image/svg+xml',
        () => upload('<p>x</p>', 'x', 'image/svg+xml'),
        415,
        'unsupported-media-type',
      ],
      [
        'shell script named .txt',
        () => upload('#!/bin/sh\nrm -rf /\n', 'run.txt'),
        415,
        'unsupported-media-type',
      ],
      ['text named .exe', () => upload('hello', 'setup.exe'), 415, 'unsupported-media-type'],
      ['JavaScript named .js', () => upload('alert(1)', 'x.js'), 415, 'unsupported-media-type'],
      [
        'invalid UTF-8',
        () => upload(Buffer.from([0x68, 0x69, 0xc3, 0x28, 0xff]), 'a.txt'),
        415,
        'unsupported-media-type',
      ],
      ['text with NUL', () => upload('hello\u0000world', 'a.txt'), 415, 'unsupported-media-type'],
      // past TEXT_INLINE_MAX the HTML worker finds what the event loop did not read
      ['large HTML, invalid UTF-8 at its end', () => upload(bigHtml('\xc3\x28\xff'), 'big.html', 'text/html'), 415, 'unsupported-media-type'],
      ['large HTML, NUL at its end', () => upload(bigHtml('\x00'), 'big.html'), 415, 'unsupported-media-type'],
      ['large HTML cut inside a character', () => upload(bigHtml('\xe2\x82'), 'big.html'), 415, 'unsupported-media-type'],
      ['empty file', () => upload(Buffer.alloc(0), 'empty.txt', 'text/plain'), 422, 'empty-file'],
      ['truncated PDF', () => upload(truncated, 'cut.pdf', 'application/pdf'), 422, 'malformed-pdf'],
      [
        'PDF with a broken body',
        () => upload(Buffer.from('%PDF-1.7\n1 0 obj garbage <<<<\n%%EOF\n'), 'bad.pdf'),
        422,
        'malformed-pdf',
      ],
      ['PDF with 3000 pages', () => upload(BIG_PDF, 'many.pdf'), 413, 'too-many-pages'],
      // PDF_MAX_MEMORY_MB (256): stopped as it passes it, not at PDF_TIMEOUT_MS with gigabytes held
      ['PDF whose stream inflates to 16 GiB (a few KB)', () => upload(inflatingPdf(16 * 1024), 'bomb.pdf'), 422, 'pdf-too-large'],
      // PDF_PAGE_TIMEOUT_MS (2 s of CPU): a page that reads for 6 s is stopped at 2 (else 201, a thread held 6 s)
      ['PDF with a page of 5 million operators (59 KB)', () => upload(slowPagePdf(5_000_000), 'slow.pdf'), 422, 'pdf-page-timeout'],
      [
        'PNG bomb (100000×100000 in a 1 KiB file)',
        () => upload(pngBomb(), 'bomb.png', 'image/png'),
        413,
        'image-too-large',
      ],
      ['PNG claiming 70000×10', () => upload(pngBomb(70_000, 10), 'wide.png'), 413, 'image-too-large'],
      [
        'JPEG bomb (60000×60000 header)',
        () => upload(jpegHeader(60_000, 60_000), 'bomb.jpg', 'image/jpeg'),
        413,
        'image-too-large',
      ],
      [
        'PNG with no IHDR',
        () => upload(Buffer.concat([png.subarray(0, 8), Buffer.alloc(40)]), 'x.png'),
        415,
        'unsupported-media-type',
      ],
      [
        'oversize file',
        () => upload(Buffer.alloc(MAX + 1, 0x61), 'big.txt', 'text/plain'),
        413,
        'payload-too-large',
      ],
      [
        'oversize PNG',
        () => upload(Buffer.concat([png, Buffer.alloc(MAX)]), 'big.png'),
        413,
        'payload-too-large',
      ],
      [
        'no file part',
        () => auth(request(t.url).post('/v1/knowledge/upload')).field('title', 'x'),
        422,
        'validation',
      ],
      [
        'wrong part name',
        () => auth(request(t.url).post('/v1/knowledge/upload')).attach('document', Buffer.from('x'), 'a.txt'),
        422,
        'validation',
      ],
      [
        'JSON instead of multipart',
        () => auth(request(t.url).post('/v1/knowledge/upload')).send({ text: 'x' }),
        415,
        'unsupported-media-type',
      ],
      [
        'two files',
        () => upload('one', 'a.txt').attach('file', Buffer.from('two'), 'b.txt'),
        422,
        'validation',
      ],
      [
        'too many fields',
        () =>
          upload('one', 'a.txt')
            .field('a', '1')
            .field('b', '2')
            .field('c', '3')
            .field('d', '4')
            .field('e', '5'),
        422,
        'validation',
      ],
      [
        'over-long title field',
        () => upload('one', 'a.txt', undefined, 't'.repeat(5000)),
        413,
        'payload-too-large',
      ],
      ['multipart without a boundary', () => raw('multipart/form-data', 'hello'), 400, 'malformed-multipart'],
      [
        'multipart cut in the middle',
        () =>
          raw(
            'multipart/form-data; boundary=XyZ',
            '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello wor',
          ),
        400,
        'malformed-multipart',
      ],
      [
        'multipart with garbled part headers',
        () => raw('multipart/form-data; boundary=XyZ', '--XyZ\r\ngarbage\r\n\r\nx\r\n--XyZ--\r\n'),
        422,
        'validation',
      ],
      [
        '__proto__ field name',
        () => upload('one', 'a.txt').field('__proto__', 'x'),
        400,
        'malformed-multipart',
      ],
    ];

    let BIG_PDF: Buffer;
    beforeAll(() => {
      BIG_PDF = makePdf(3000);
    });

    it.each(cases)('%s → %i', async (_label, send, status, slug) => {
      const before = await counts();
      const res = await send();
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({
        status,
        type: expect.stringMatching(new RegExp(`${slug}$`)),
        request_id: expect.any(String),
      });
      expect(await counts()).toEqual(before);
    });

    it('large HTML that is not UTF-8 text gets the answer a small file gets, word for word', async () => {
      const small = await upload(Buffer.from([0x3c, 0x70, 0x3e, 0xc3, 0x28]), 'a.html', 'text/html').expect(415);
      const large = await upload(bigHtml('\xc3\x28'), 'a.html', 'text/html').expect(415);
      expect(large.body.detail).toBe('the file is neither a supported binary format nor UTF-8 text');
      expect({ ...large.body, request_id: 0, instance: 0 }).toEqual({ ...small.body, request_id: 0, instance: 0 });
    });

    it('a viewer may not upload (403), an anonymous caller is 401', async () => {
      await upload('x', 'a.txt').set('Authorization', `Bearer ${A.tokens.viewer}`).expect(403);
      await request(t.url).post('/v1/knowledge/upload').attach('file', Buffer.from('x'), 'a.txt').expect(401);
    });
  });

  describe('POST /v1/ocr', () => {
    it('small image → 200 {text}', async () => {
      const res = await auth(request(t.url).post('/v1/ocr'))
        .attach('file', textPng(['HELLO WORLD']), 'hello.png')
        .expect(200);
      expect(res.body.text).toContain('HELLO');
      expect(res.body.text).toContain('WORLD');
      expect(res.body).toMatchObject({ width: expect.any(Number), height: expect.any(Number) });
    });

    it('non-images, bombs and spoofs are refused', async () => {
      await auth(request(t.url).post('/v1/ocr'))
        .attach('file', makePdf(1, ['x']), 'a.pdf')
        .expect(415);
      await auth(request(t.url).post('/v1/ocr')).attach('file', Buffer.from('text'), 'a.png').expect(415);
      await auth(request(t.url).post('/v1/ocr')).attach('file', pngBomb(), 'bomb.png').expect(413);
    });

    it('an image that needs more than OCR_MAX_MEMORY_MB to recognise is 422 ocr-too-large (tesseract runs under that limit)', async () => {
      const dots = dotsPng(6320, 6320); // 40 million pixels, within OCR_MAX_PIXELS
      expect(dots.length).toBeLessThan(64 * 1024);
      const res = await auth(request(t.url).post('/v1/ocr')).attach('file', dots, 'dots.png');
      expect(res.status).toBe(422);
      expect(res.body.type).toMatch(/\/ocr-too-large$/);
      // the engine is not left broken
      const ok = await auth(request(t.url).post('/v1/ocr')).attach('file', textPng(['HELLO WORLD']), 'hello.png').expect(200);
      expect(ok.body.text).toContain('HELLO');
    });
  });
});

describe('large images go through the ocr job', () => {
  let db: TestDb;
  let t: Awaited<ReturnType<typeof startIntakeApp>>;
  let A: Tenant;
  const enqueuer = new RecordingEnqueuer();

  beforeAll(async () => {
    db = await createTestDb();
    // Anything over 10 000 pixels counts as large here.
    t = await startIntakeApp(
      envFor(db.appUrl, db.ownerUrl, { OCR_SYNC_MAX_PIXELS: '10000', ROCKER_ROLE: 'api' }),
      enqueuer,
    );
    A = await orgWithRoles(db.owner);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const runJob = (job: RecordingEnqueuer['jobs'][number]) =>
    runJobHandler(
      t.nest.get(TenantTransactions),
      { requestId: 'job-test', userId: null, orgId: A.org.id, role: null, isSuperAdmin: false },
      t.nest.get(OcrJobHandler),
      {
        jobId: job.id,
        orgId: A.org.id,
        kind: JobKind.Ocr,
        knowledgeItemId: job.payload.knowledge_item_id,
        payload: job.payload,
        attempt: 1,
        work: job.id,
        requestId: null,
      },
    );

  it('upload of a large image → item + stored image + ocr job; the handler fills in the text and drops the image', async () => {
    const res = await request(t.url)
      .post('/v1/knowledge/upload')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .attach('file', textPng(['HELLO WORLD', 'ROCKER STONES']), 'scan.png')
      .expect(201);
    expect(res.body.job_id).toEqual(expect.any(String));
    const job = enqueuer.jobs.find((j) => j.id === res.body.job_id)!;
    expect(job).toMatchObject({ kind: JobKind.Ocr, payload: { knowledge_item_id: res.body.id } });
    const blobs = () =>
      asOrg(db.owner, A.org.id, (c) =>
        c.query('SELECT count(*)::int AS n FROM knowledge_blobs WHERE knowledge_item_id = $1', [res.body.id]),
      );
    expect((await blobs()).rows[0].n).toBe(1);

    await runJob(job);
    const item = await request(t.url)
      .get(`/v1/knowledge/${res.body.id}`)
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .expect(200);
    for (const w of ['HELLO', 'WORLD', 'ROCKER', 'STONES']) expect(item.body.content_text).toContain(w);
    expect((await blobs()).rows[0].n).toBe(0);
    expect(
      enqueuer.jobs.some((j) => j.kind === JobKind.Embed && j.payload.knowledge_item_id === res.body.id),
    ).toBe(true);

    // At-least-once delivery: a second run changes nothing and does not fail.
    await runJob(job);
    const again = await request(t.url)
      .get(`/v1/knowledge/${res.body.id}`)
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .expect(200);
    expect(again.body.content_text).toBe(item.body.content_text);
  });

  it('POST /v1/ocr with a large image → 202 {job_id, knowledge_item_id}', async () => {
    const res = await request(t.url)
      .post('/v1/ocr')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .attach('file', textPng(['HELLO']), 'a.png')
      .expect(202);
    expect(res.body).toEqual({ job_id: expect.any(String), knowledge_item_id: expect.any(String) });
    expect(enqueuer.jobs.find((j) => j.id === res.body.job_id)?.kind).toBe(JobKind.Ocr);
  });

  it('the ocr job fails permanently when its item is gone', async () => {
    await expect(
      runJob({
        id: 'x',
        kind: JobKind.Ocr,
        payload: { knowledge_item_id: '00000000-0000-4000-8000-000000000000' },
      }),
    ).rejects.toBeInstanceOf(PermanentJobError);
  });
});
