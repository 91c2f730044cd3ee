import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { isMarkedAsUntransferable } from 'node:worker_threads';
import { extensionOf, normaliseFileName } from './file-name.js';
import { checkImageSize } from './image-probe.js';
import { ByteSink } from './multipart.js';
import { sniffUpload, textKindOf, UploadKind } from './sniff.js';

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
