import { constants, crc32, deflateRawSync, deflateSync } from 'node:zlib';

/** Files made in code (tests and benchmarks): PNGs (with text in a bitmap font), image bombs, PDFs. */

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const h = Buffer.alloc(13);
  h.writeUInt32BE(width, 0);
  h.writeUInt32BE(height, 4);
  h[8] = 8; // bit depth
  h[9] = 0; // greyscale
  return h;
}

/** An 8-bit greyscale PNG from rows of pixel values (0 black … 255 white). */
export function greyPng(width: number, height: number, pixel: (x: number, y: number) => number): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);
  }
  return Buffer.concat([PNG_SIG, chunk('IHDR', ihdr(width, height)), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A 1-bit PNG of 2×2 black dots every 4 pixels: a few KB whose millions of connected components
 * cost tesseract memory by the component (790 MB at 6320×6320), not by the pixel.
 */
export function dotsPng(width: number, height: number): Buffer {
  const h = ihdr(width, height);
  h[8] = 1; // bit depth
  const row = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) raw.fill(y % 4 < 2 ? 0xff : 0xcc, y * row + 1, (y + 1) * row);
  return Buffer.concat([PNG_SIG, chunk('IHDR', h), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A decompression bomb: a valid PNG header claiming width×height pixels, with a tiny compressed
 * body (a few hundred bytes that would inflate to gigabytes if anything decoded them).
 */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  const rows = deflateSync(Buffer.alloc(1024 * 1024)); // 1 MiB of zeros → ~1 KiB
  return Buffer.concat([PNG_SIG, chunk('IHDR', ihdr(width, height)), chunk('IDAT', rows), chunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG whose frame header claims the given size (SOF0), enough for magic-byte and size checks. */
export function jpegHeader(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

// 5×7 bitmap glyphs, enough for the OCR test words.
const GLYPHS: Record<string, string[]> = {
  A: ['01110', '10001', '10001', '11111', '10001', '10001', '10001'],
  C: ['01110', '10001', '10000', '10000', '10000', '10001', '01110'],
  D: ['11110', '10001', '10001', '10001', '10001', '10001', '11110'],
  E: ['11111', '10000', '10000', '11110', '10000', '10000', '11111'],
  H: ['10001', '10001', '10001', '11111', '10001', '10001', '10001'],
  K: ['10001', '10010', '10100', '11000', '10100', '10010', '10001'],
  L: ['10000', '10000', '10000', '10000', '10000', '10000', '11111'],
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  N: ['10001', '11001', '10101', '10011', '10001', '10001', '10001'],
  O: ['01110', '10001', '10001', '10001', '10001', '10001', '01110'],
  P: ['11110', '10001', '10001', '11110', '10000', '10000', '10000'],
  R: ['11110', '10001', '10001', '11110', '10100', '10010', '10001'],
  S: ['01111', '10000', '10000', '01110', '00001', '00001', '11110'],
  T: ['11111', '00100', '00100', '00100', '00100', '00100', '00100'],
  W: ['10001', '10001', '10001', '10101', '10101', '10101', '01010'],
  ' ': ['00000', '00000', '00000', '00000', '00000', '00000', '00000'],
};

/** Black text on white in a scaled bitmap font, one line per entry. */
export function textPng(lines: string[], scale = 8): Buffer {
  const cell = 6 * scale; // 5 columns + 1 spacing
  const lineH = 10 * scale;
  const margin = 4 * scale;
  const width = margin * 2 + Math.max(...lines.map((l) => l.length)) * cell;
  const height = margin * 2 + lines.length * lineH;
  return greyPng(width, height, (x, y) => {
    const lx = x - margin;
    const ly = y - margin;
    if (lx < 0 || ly < 0) return 255;
    const line = lines[Math.floor(ly / lineH)];
    if (!line) return 255;
    const ch = line[Math.floor(lx / cell)];
    const gx = Math.floor((lx % cell) / scale);
    const gy = Math.floor((ly % lineH) / scale);
    if (!ch || gx > 4 || gy > 6) return 255;
    const glyph = GLYPHS[ch.toUpperCase()];
    if (!glyph) throw new Error(`no glyph for ${ch}`);
    return glyph[gy][gx] === '1' ? 0 : 255;
  });
}

/**
 * A small, valid PDF. `pages` pages; each shows its entry of `texts` (or none), all pages share
 * one content stream when `texts` is shorter than the page count (cheap thousands of pages).
 */
export function makePdf(pages: number, texts: string[] = []): Buffer {
  const objs: string[] = [];
  const add = (body: string) => objs.push(body) && objs.length;
  const catalog = add(''); // filled below
  const pagesId = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const streamFor = (t: string) => {
    const esc = (l: string) => `(${l.replace(/[()\\]/g, '\\$&')}) Tj`;
    // One line as before; several lines (textPdf) in small type, one per leading step.
    const content = t.includes('\n') ? `BT /F1 9 Tf 11 TL 36 770 Td ${t.split('\n').map(esc).join(' T* ')} ET` : `BT /F1 18 Tf 72 720 Td ${esc(t)} ET`;
    return add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`);
  };
  const shared = streamFor('');
  const kids: number[] = [];
  for (let i = 0; i < pages; i++) {
    const content = texts[i] !== undefined ? streamFor(texts[i]) : shared;
    kids.push(add(`<< /Type /Page /Parent ${pagesId} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`));
  }
  objs[catalog - 1] = `<< /Type /Catalog /Pages ${pagesId} 0 R >>`;
  objs[pagesId - 1] = `<< /Type /Pages /Count ${pages} /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] >>`;
  return pdfOf(objs, catalog);
}

/** A PDF file of these objects (numbered from 1, latin1 strings), with its cross-reference table. */
function pdfOf(objs: string[], root: number): Buffer {
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objs.forEach((body, i) => {
    offsets.push(out.length); // latin1: one byte a character
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root ${root} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/**
 * A decompression bomb: a one-page PDF of a few KB whose content stream, compressed twice
 * (`[/FlateDecode /FlateDecode]`), inflates to `mib` MiB of spaces. Built without compressing that
 * much: one 16 MiB run of spaces is deflated once into an independent, byte-aligned block (a full
 * flush), which the inner stream repeats.
 */
export function inflatingPdf(mib: number): Buffer {
  const run = deflateRawSync(Buffer.alloc(16 << 20, 0x20), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const inner = Buffer.concat([
    Buffer.from([0x78, 0xda]), // zlib header
    ...Array<Buffer>(Math.ceil(mib / 16)).fill(run),
    Buffer.from([0x03, 0x00]), // the final, empty block
    Buffer.alloc(4), // adler-32, which PDF.js does not check
  ]);
  const data = deflateSync(inner, { level: 9 }).toString('latin1');
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Count 1 /Kids [3 0 R] >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    `<< /Length ${data.length} /Filter [/FlateDecode /FlateDecode] >>\nstream\n${data}\nendstream`,
  ];
  return pdfOf(objs, 1);
}

/**
 * A slow page: a PDF whose first page is `ops` text operators (`(ab) Tj`, a few hundred thousand a
 * second for PDF.js to read), compressed: 5 million make a 59 KB file whose page reads for about
 * 6 s. A page cannot stop partway, so only a per-page limit bounds how long it holds its thread.
 * `pages` - 1 ordinary pages follow it.
 */
export function slowPagePdf(ops: number, pages = 1): Buffer {
  const data = deflateSync(Buffer.from(`BT /F1 12 Tf 72 720 Td\n${'(ab) Tj\n'.repeat(ops)}ET\n`), { level: 9 }).toString('latin1');
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Count ${pages} /Kids [${Array.from({ length: pages }, (_, i) => `${5 + i} 0 R`).join(' ')}] >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${data.length} /Filter /FlateDecode >>\nstream\n${data}\nendstream`,
  ];
  for (let i = 0; i < pages; i++) {
    const contents = i === 0 ? '4 0 R' : `${5 + pages + i - 1} 0 R`;
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} >>`);
  }
  for (let i = 1; i < pages; i++) {
    const content = `BT /F1 18 Tf 72 720 Td (page ${i + 1}) Tj ET`;
    objs.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  return pdfOf(objs, 1);
}

/**
 * A PDF of `pages` pages, each with its own content stream of `linesPerPage` lines of text (what a
 * long report costs a text extractor: every page parsed, every line a text item).
 */
export function textPdf(pages: number, linesPerPage: number, line: (page: number, n: number) => string): Buffer {
  const texts: string[] = [];
  for (let p = 0; p < pages; p++) texts.push(Array.from({ length: linesPerPage }, (_, n) => line(p, n)).join('\n'));
  return makePdf(pages, texts);
}

const LETTERS = 'ACDEHKLMNOPRSTW'; // the glyphs textPng draws

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1103515245) + 12345) >>> 0;
    return a / 4294967296;
  };
}

/** A page of made-up words in textPng's bitmap font: `lines` × `chars`, every cell inked or spaced. */
export function densePng(lines: number, chars: number, scale: number, seed = 1): Buffer {
  const rnd = seeded(seed);
  const line = () => {
    let l = '';
    while (l.length < chars) {
      const n = 3 + Math.floor(rnd() * 6);
      for (let i = 0; i < n; i++) l += LETTERS[Math.floor(rnd() * LETTERS.length)];
      l += ' ';
    }
    return l.slice(0, chars);
  };
  return textPng(Array.from({ length: lines }, line), scale);
}
