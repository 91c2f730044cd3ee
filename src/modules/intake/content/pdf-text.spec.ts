import { describe, expect, it } from 'vitest';
import { makePdf } from '../../../../test/support/files.js';
import { pdfText } from './pdf-text.js';

describe(pdfText.name, () => {
  const limits = { maxPages: 10, timeoutMs: 20_000 };

  it('extracts the text of every page', async () => {
    await expect(pdfText(makePdf(2, ['first page', 'second page']), limits)).resolves.toEqual({ text: 'first page\n\nsecond page', pages: 2 });
  });

  it('refuses too many pages (413), truncation and garbage (422), and stops at the time limit (422)', async () => {
    await expect(pdfText(makePdf(11), limits)).rejects.toMatchObject({ slug: 'too-many-pages' });
    const pdf = makePdf(1, ['x']);
    await expect(pdfText(pdf.subarray(0, pdf.length - 20), limits)).rejects.toMatchObject({ slug: 'malformed-pdf' });
    await expect(pdfText(Buffer.from('%PDF-1.4 nonsense %%EOF'), limits)).rejects.toMatchObject({ slug: 'malformed-pdf' });
    // 3000 pages cannot be read in 1 ms: the thread is terminated...
    await expect(pdfText(makePdf(3000), { maxPages: 5000, timeoutMs: 1 })).rejects.toMatchObject({ slug: 'pdf-timeout' });
    // ...and the next document gets a fresh one.
    await expect(pdfText(makePdf(1, ['after']), limits)).resolves.toEqual({ text: 'after', pages: 1 });
  });
});
