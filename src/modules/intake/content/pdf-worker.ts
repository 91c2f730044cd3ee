// Runs in a worker thread of the `pdf` pool (see pdf-text.ts): PDF.js parses untrusted bytes here,
// where a runaway document can be terminated and its memory is capped. Imports packages only (no
// relative imports), so the same file runs from src/ (type-stripped) and from dist/.
import { workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { getDocumentProxy } from 'unpdf';

// Engine work yields the CPU to the event loop (ENGINE_NICE): this thread only (Linux: setpriority
// on a thread id; /proc/thread-self names the calling thread as <pid>/task/<tid>).
try {
  const nice = Number((workerData as { nice?: number } | undefined)?.nice ?? 0);
  if (nice > 0) setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), nice);
} catch {
  /* not Linux: the thread keeps the process's priority */
}

type Input = { data: Uint8Array; maxPages: number };
type Output =
  | { ok: true; text: string; pages: number }
  | { ok: false; reason: 'too-many-pages'; pages: number }
  | { ok: false; reason: 'malformed' };

/** The pool's one task: a document's text, page by page, or why not. */
export async function parse(input: Input): Promise<Output> {
  let pdf;
  try {
    pdf = await getDocumentProxy(input.data, {
      disableFontFace: true,
      stopAtErrors: true,
      maxImageSize: 1,
      useSystemFonts: false,
      verbosity: 0,
    });
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  try {
    if (pdf.numPages > input.maxPages) return { ok: false, reason: 'too-many-pages', pages: pdf.numPages };
    const parts: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      parts.push(
        content.items
          .map((i) => ('str' in i ? i.str + (i.hasEOL ? '\n' : '') : ''))
          .join('')
          .trim(),
      );
      page.cleanup();
    }
    return {
      ok: true,
      text: parts.filter(Boolean).join('\n\n').replaceAll('\u0000', ''),
      pages: pdf.numPages,
    };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
