import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { isMarkedAsUntransferable } from 'node:worker_threads';
import { extensionOf, normaliseFileName } from './file-name.js';
import { checkImageSize } from './image-probe.js';
import { ByteSink } from './multipart.js';
import { sniffUpload, TEXT_INLINE_MAX, textKindOf, UploadKind } from './sniff.js';
import { clean, flatText, HTML_MAX_DEPTH, htmlToText, nestsDeeper, readable, READABLE_MAX_TAGS } from './html-worker.js';

describe(normaliseFileName.name, () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['a\\b\\c.txt', 'c.txt'],
    ['x\u0000y\u202e.txt', 'xy.txt'],
    ['..', 'upload'],
    ['', 'upload'],
    [undefined, 'upload'],
    ['  spaced   out .md ', 'spaced out .md'],
  ])('%j → %j', (raw, out) => expect(normaliseFileName(raw as string)).toBe(out));

  it('caps the length and keeps the extension', () => {
    const n = normaliseFileName('é'.repeat(500) + '.pdf');
    expect([...n].length).toBe(200);
    expect(extensionOf(n)).toBe('pdf');
  });
});

describe(textKindOf.name, () => {
  it.each([
    ['<!DOCTYPE html><html></html>', UploadKind.Html],
    ['  <p>hello</p>', UploadKind.Html],
    ['<!-- c --><div>x</div>', UploadKind.Html],
    ['# Title\n\ntext', UploadKind.Txt],
    ['a < b and c > d', UploadKind.Txt],
    ['<?xml version="1.0"?><svg/>', 'svg'],
    ['<svg onload=x>', 'svg'],
    ['<?xml version="1.0"?><root/>', 'xml'],
  ])('%j → %s', (text, kind) => expect(textKindOf(text)).toBe(kind));
});

describe(sniffUpload.name, () => {
  it('decides by bytes, not by name or declared type', async () => {
    await expect(sniffUpload(Buffer.from('hello'), 'a.txt', 'text/plain')).resolves.toMatchObject({ kind: UploadKind.Txt, text: 'hello' });
    await expect(sniffUpload(Buffer.from('\ufeffhello'), 'a', undefined)).resolves.toMatchObject({ kind: UploadKind.Txt, text: 'hello' });
    await expect(sniffUpload(Buffer.from('hello'), 'a.png', undefined)).rejects.toMatchObject({ slug: 'media-type-mismatch' });
    await expect(sniffUpload(Buffer.from('%PDF-1.4\n%%EOF'), 'a.txt', undefined)).rejects.toMatchObject({ slug: 'media-type-mismatch' });
    await expect(sniffUpload(Buffer.alloc(0), 'a.txt', undefined)).rejects.toMatchObject({ slug: 'empty-file' });
  });

  describe(`files over ${TEXT_INLINE_MAX} bytes: read in steps, the same answers`, () => {
    const big = (head: string, fill = 'x', tail = '') =>
      Buffer.concat([Buffer.from(head), Buffer.alloc(TEXT_INLINE_MAX + 100_000, fill), Buffer.from(tail)]);
    const notText = { status: 415, slug: 'unsupported-media-type', message: 'the file is neither a supported binary format nor UTF-8 text' };

    it('text: checked to its last byte; its bytes without BOMs, no big string', async () => {
      const buf = big('\ufeff\ufeffhello ', 'y', ' \u00e9');
      const s = await sniffUpload(buf, 'a.txt', 'text/plain');
      expect(s.kind).toBe(UploadKind.Txt);
      expect(s.text).toBeUndefined();
      expect(s.textBytes!.toString('utf8')).toBe(buf.toString('utf8').replace(/^\ufeff\ufeff/, ''));
      for (const tail of [Buffer.from([0xc3, 0x28]), Buffer.from([0xe2, 0x82]), Buffer.from('\u0000'), Buffer.from('\u007f')])
        await expect(sniffUpload(Buffer.concat([buf, tail]), 'a.txt', 'text/plain')).rejects.toMatchObject(notText);
    });

    it('HTML for the worker (deferHtmlText): the kind from its start, its end left to the worker', async () => {
      const html = big('<!doctype html><p>', 'x', '</p>\u0000');
      await expect(sniffUpload(html, 'a.html', 'text/html')).rejects.toMatchObject(notText);
      const s = await sniffUpload(html, 'a.html', 'text/html', { deferHtmlText: true });
      expect([s.kind, s.text, s.textBytes]).toEqual([UploadKind.Html, undefined, undefined]);
      // the kind sees past leading white space as textKindOf does
      const spaced = Buffer.concat([Buffer.alloc(300_000, ' '), Buffer.from('<html><p>hi</p></html>')]);
      await expect(sniffUpload(spaced, 'page', undefined, { deferHtmlText: true })).resolves.toMatchObject({ kind: UploadKind.Html });
      // HTML named .txt is text: checked here, whole
      await expect(sniffUpload(html, 'a.txt', undefined, { deferHtmlText: true })).rejects.toMatchObject(notText);
    });

    it('a refusal of a file that is not text at its end answers not-text first, as before', async () => {
      const bad = big('<!doctype html><p>', 'x', '\u0000');
      await expect(sniffUpload(bad, 'a.png', undefined, { deferHtmlText: true })).rejects.toMatchObject(notText);
      await expect(sniffUpload(bad, 'a', 'image/png', { deferHtmlText: true })).rejects.toMatchObject(notText);
      const svg = big('<svg onload="x()">', 'x', '\u0000');
      await expect(sniffUpload(svg, 'a.html', undefined, { deferHtmlText: true })).rejects.toMatchObject(notText);
      // a valid file still gets its own refusal
      await expect(sniffUpload(big('<!doctype html><p>'), 'a.png', undefined, { deferHtmlText: true })).rejects.toMatchObject({ slug: 'media-type-mismatch' });
      await expect(sniffUpload(big('#!/bin/sh\n'), 'a.txt', undefined)).rejects.toMatchObject({ message: 'scripts are not accepted' });
    });
  });
});

describe(checkImageSize.name, () => {
  const png = (w: number, h: number) => {
    const b = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
    b.writeUInt32BE(13, 8);
    b.write('IHDR', 12, 'latin1');
    b.writeUInt32BE(w, 16);
    b.writeUInt32BE(h, 20);
    return Buffer.concat([b, deflateSync(Buffer.alloc(10))]);
  };
  const jpeg = (w: number, h: number) =>
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc2, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0, 0xff, 0xd9]);

  it('reads PNG and JPEG (progressive) sizes from the header', () => {
    expect(checkImageSize(png(640, 480), 'image/png', 1e6)).toEqual({ width: 640, height: 480 });
    expect(checkImageSize(jpeg(800, 600), 'image/jpeg', 1e6)).toEqual({ width: 800, height: 600 });
  });

  it('refuses images over the pixel budget (413) and headers without a size (422)', () => {
    expect(() => checkImageSize(png(100_000, 100_000), 'image/png', 40e6)).toThrow(expect.objectContaining({ slug: 'image-too-large' }));
    expect(() => checkImageSize(jpeg(60_000, 60_000), 'image/jpeg', 40e6)).toThrow(expect.objectContaining({ slug: 'image-too-large' }));
    expect(() => checkImageSize(png(0, 10), 'image/png', 40e6)).toThrow(expect.objectContaining({ slug: 'malformed-image' }));
    expect(() => checkImageSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'image/jpeg', 40e6)).toThrow(expect.objectContaining({ slug: 'malformed-image' }));
  });
});

describe(ByteSink.name, () => {
  const chunks = (n: number, size: number) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i % 251));

  it('holds the chunks in order, whether the size hint is right, short, missing or past the limit', () => {
    const parts = chunks(40, 1000);
    const whole = Buffer.concat(parts);
    for (const hint of [whole.length + 200, 1500, undefined, NaN, 10 * whole.length]) {
      const sink = new ByteSink(whole.length, hint);
      for (const p of parts) sink.push(p);
      expect(sink.length).toBe(whole.length);
      expect(sink.bytes().equals(whole)).toBe(true);
    }
  });

  it('counts past the limit without holding more than it', () => {
    const sink = new ByteSink(2500, 1000);
    for (const p of chunks(5, 1000)) sink.push(p);
    expect(sink.length).toBe(5000);
    expect(sink.bytes().length).toBeLessThanOrEqual(2501);
  });

  it('owns its memory, so a worker can take it by transfer', () => {
    const sink = new ByteSink(1 << 20, 100);
    sink.push(Buffer.from('hello'));
    const data = sink.bytes();
    expect(isMarkedAsUntransferable(data.buffer)).toBe(false);
    expect(data.buffer.byteLength).toBeLessThan(1 << 20);
  });
});

describe(readable.name, () => {
  const page = (paragraphs: number) =>
    `<html><head><title>Granite</title></head><body><nav><a href="/">Home</a> <a href="/menu">Menu</a></nav><article>` +
    '<p>Granite is an igneous rock that formed from slowly cooling magma deep underground, over millions of years.</p>'.repeat(paragraphs) +
    '</article></body></html>';

  it('gives an article its readable text (the navigation left out) and title', () => {
    const out = readable(page(20));
    expect(out.title).toBe('Granite');
    expect(out.text).toContain('Granite is an igneous rock');
    expect(out.text).not.toContain('Menu');
  });

  it(`gives a page of more than ${READABLE_MAX_TAGS} tags all its text, without Readability (which costs seconds a MiB of small elements)`, () => {
    const out = readable(page(READABLE_MAX_TAGS));
    expect(out.title).toBe('Granite');
    expect(out.text).toContain('Menu'); // the plain-text walk keeps what Readability drops
    expect(out.text).toContain('Granite is an igneous rock');
  });
});

describe(nestsDeeper.name, () => {
  it(`finds nesting past ${HTML_MAX_DEPTH} (what makes the parser quadratic), not long flat documents`, () => {
    expect(nestsDeeper('<div>'.repeat(HTML_MAX_DEPTH + 1), HTML_MAX_DEPTH)).toBe(true);
    expect(nestsDeeper('<DIV class="a">'.repeat(HTML_MAX_DEPTH + 1), HTML_MAX_DEPTH)).toBe(true);
    expect(nestsDeeper('<div>'.repeat(HTML_MAX_DEPTH), HTML_MAX_DEPTH)).toBe(false);
    expect(nestsDeeper('<div><span>x</span></div>'.repeat(50_000), HTML_MAX_DEPTH)).toBe(false);
    // closed by the parser on their own: void elements and siblings that end the one before
    expect(nestsDeeper('<p>a<br><li>b<img src=x><td>c'.repeat(20_000), HTML_MAX_DEPTH)).toBe(false);
    expect(nestsDeeper('<!-- x --><!doctype html>a < b <<<'.repeat(10_000), HTML_MAX_DEPTH)).toBe(false);
  });
});

describe('a document nested too deep to parse', () => {
  const deep = `<title>T</title><script>evil()</script>${'<div>'.repeat(50_000)}Granite &amp; basalt<img src=x onerror="y()"><b>rock</b>`;

  it('is kept as its text, in escaped paragraphs, without the parser (seconds per such document: quadratic in its depth)', () => {
    const out = clean(deep);
    expect(out.text).toBe('Granite & basalt rock');
    expect(out.html).toBe('<p>Granite &amp; basalt rock</p>');
    expect(htmlToText(deep)).toBe('Granite & basalt rock');
    expect(readable(deep)).toEqual({ title: 'T', text: 'Granite & basalt rock' });
  });

  it('flatText: no tag, no dropped element\'s content, nothing past an unterminated tag', () => {
    expect(flatText('<p>a</p><style>p{}</style><p>b &lt;c&gt;</p><a href="x')).toBe('a b <c>');
    expect(flatText('<script>x'.repeat(3) + 'never closed')).toBe('');
  });
});
