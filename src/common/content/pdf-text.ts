import { getDocumentProxy } from 'unpdf';
import { ProblemException } from '../filters/problem.js';

export interface PdfLimits {
  maxPages: number;
  timeoutMs: number;
}

export interface PdfText {
  text: string;
  pages: number;
}

/** The PDF's `%%EOF` marker must be in its last 1024 bytes (ISO 32000); a cut file has none. */
function looksComplete(buf: Uint8Array): boolean {
  const tail = Buffer.from(buf.subarray(Math.max(0, buf.length - 1024))).toString('latin1');
  return buf.length > 8 && Buffer.from(buf.subarray(0, 5)).toString('latin1') === '%PDF-' && tail.includes('%%EOF');
}

/**
 * Text of a PDF (unpdf / PDF.js, no eval, no fonts, no rendering), refusing truncated or malformed
 * files (422), documents over the page limit (413) and extraction past the time limit (422).
 * The page count is read before any page is parsed; the deadline is checked between pages.
 */
export async function pdfText(data: Uint8Array, limits: PdfLimits): Promise<PdfText> {
  if (!looksComplete(data)) throw new ProblemException(422, 'malformed-pdf', 'the PDF is truncated or malformed');
  const deadline = Date.now() + limits.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProblemException(422, 'pdf-timeout', `the PDF took longer than ${limits.timeoutMs} ms to read`)), limits.timeoutMs);
  });
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>> | undefined;
  try {
    pdf = await Promise.race([
      getDocumentProxy(new Uint8Array(data), {
        disableFontFace: true,
        stopAtErrors: true,
        maxImageSize: 1,
        useSystemFonts: false,
        verbosity: 0,
      }),
      expired,
    ]);
    if (pdf.numPages > limits.maxPages) {
      throw new ProblemException(413, 'too-many-pages', `the PDF has ${pdf.numPages} pages; at most ${limits.maxPages} are accepted`);
    }
    const parts: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      if (Date.now() > deadline) throw new ProblemException(422, 'pdf-timeout', `the PDF took longer than ${limits.timeoutMs} ms to read`);
      const page = await Promise.race([pdf.getPage(n), expired]);
      const content = await Promise.race([page.getTextContent(), expired]);
      parts.push(
        content.items
          .map((i) => ('str' in i ? i.str + (i.hasEOL ? '\n' : '') : ''))
          .join('')
          .trim(),
      );
      page.cleanup();
    }
    return { text: parts.filter(Boolean).join('\n\n').replace(/\u0000/g, ''), pages: pdf.numPages };
  } catch (e) {
    if (e instanceof ProblemException) throw e;
    throw new ProblemException(422, 'malformed-pdf', 'the PDF is truncated or malformed');
  } finally {
    clearTimeout(timer);
    await pdf?.loadingTask.destroy().catch(() => undefined);
  }
}
