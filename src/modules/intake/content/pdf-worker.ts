// Runs in a worker thread of the `pdf` pool (see pdf-text.ts): PDF.js parses untrusted bytes here,
// where a runaway document can be terminated and its memory is capped. Imports packages only (no
// static relative imports), so the same file runs from src/ (type-stripped) and from dist/.
import { threadId, workerData } from 'node:worker_threads';
import { getDocumentProxy } from 'unpdf';

// Engine work yields the CPU to the event loop (ENGINE_NICE): common/fair/thread-nice, loaded by URL.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const { niceThisThread, osThreadId } = (await import(
  new URL(`../../../common/fair/thread-nice${ext}`, import.meta.url).href
)) as typeof import('../../../common/fair/thread-nice.js');
niceThisThread(Number((workerData as { nice?: number } | undefined)?.nice ?? 0));
const tid = osThreadId();

/**
 * `thread`: where the pool learns which thread runs the task, to watch its memory
 * (FairPoolOptions.maxMemoryMb). `step`: where the parse says which page it is reading (and its
 * thread's kernel id), for the pool to bound each page's CPU time (FairPoolOptions.maxStepMs). `from`: the first page to read (a resumed turn). `turn`: raised by
 * the pool while another org waits for this thread; once `turnMs` have passed, the parse stops after
 * the page it is on and answers with `next`, the page to resume from, how long it ran and how much
 * of that was opening the document.
 */
type Input = {
  /** The document, on shared memory (see PdfEngine.text): read, never detached. */
  data: Uint8Array;
  maxPages: number;
  from?: number;
  turn?: Int32Array;
  turnMs?: number;
  thread?: Int32Array;
  step?: Int32Array;
};
type Output =
  | { ok: true; parts: string[]; pages: number; next?: number; ranMs: number; openMs: number }
  | { ok: false; reason: 'too-many-pages'; pages: number }
  | { ok: false; reason: 'malformed' };

/** The pool's one task: a document's text page by page (each page's text a part), or why not. */
export async function parse(input: Input): Promise<Output> {
  if (input.thread) Atomics.store(input.thread, 0, threadId);
  if (input.step) Atomics.store(input.step, 1, tid);
  const began = performance.now();
  let pdf;
  try {
    // PDF.js takes the bytes over (it transfers them to its parser): its own copy, made on this
    // thread, of the document the engine shares with every turn
    pdf = await getDocumentProxy(new Uint8Array(input.data), {
      disableFontFace: true,
      stopAtErrors: true,
      maxImageSize: 1,
      useSystemFonts: false,
      verbosity: 0,
    });
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  // A resumed turn opens the document again: a turn runs at least four times as long as the
  // opening took, so a document that is slow to open (thousands of pages, a cross-reference table
  // rebuilt from a damaged file) spends at most a fifth of its thread time reopening.
  const openMs = performance.now() - began;
  const minTurnMs = Math.max(input.turnMs ?? 0, 4 * openMs);
  try {
    if (pdf.numPages > input.maxPages) return { ok: false, reason: 'too-many-pages', pages: pdf.numPages };
    const parts: string[] = [];
    for (let n = input.from ?? 1; n <= pdf.numPages; n++) {
      if (input.step) Atomics.store(input.step, 0, n);
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      parts.push(
        content.items
          .map((i) => ('str' in i ? i.str + (i.hasEOL ? '\n' : '') : ''))
          .join('')
          .trim(),
      );
      page.cleanup();
      const yielding =
        n < pdf.numPages &&
        input.turn !== undefined &&
        Atomics.load(input.turn, 0) === 1 &&
        performance.now() - began >= minTurnMs;
      if (yielding)
        return { ok: true, parts, pages: pdf.numPages, next: n + 1, ranMs: performance.now() - began, openMs };
    }
    return { ok: true, parts, pages: pdf.numPages, ranMs: performance.now() - began, openMs };
  } catch {
    return { ok: false, reason: 'malformed' };
  } finally {
    // a resumed document is opened again: this one must not stay in the thread meanwhile
    pdf.loadingTask.destroy().catch(() => undefined);
  }
}

/**
 * A one-page, one-word document parsed once as the thread starts: PDF.js's first document in a
 * thread costs about 90 ms of lazy set-up and compilation, which a warm thread (PARSE_WARM_THREADS)
 * must not leave to the first request that lands on it.
 */
const WARM_UP_PDF =
  'JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9Db3VudCAxIC9LaWRzIFs2IDAgUl0gPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL0ZvbnQgL1N1YnR5cGUgL1R5cGUxIC9CYXNlRm9udCAvSGVsdmV0aWNhID4+CmVuZG9iago0IDAgb2JqCjw8IC9MZW5ndGggMzEgPj4Kc3RyZWFtCkJUIC9GMSAxOCBUZiA3MiA3MjAgVGQgKCkgVGogRVQKZW5kc3RyZWFtCmVuZG9iago1IDAgb2JqCjw8IC9MZW5ndGggMzUgPj4Kc3RyZWFtCkJUIC9GMSAxOCBUZiA3MiA3MjAgVGQgKHdhcm0pIFRqIEVUCmVuZHN0cmVhbQplbmRvYmoKNiAwIG9iago8PCAvVHlwZSAvUGFnZSAvUGFyZW50IDIgMCBSIC9NZWRpYUJveCBbMCAwIDYxMiA3OTJdIC9SZXNvdXJjZXMgPDwgL0ZvbnQgPDwgL0YxIDMgMCBSID4+ID4+IC9Db250ZW50cyA1IDAgUiA+PgplbmRvYmoKeHJlZgowIDcKMDAwMDAwMDAwMCA2NTUzNSBmIAowMDAwMDAwMDE1IDAwMDAwIG4gCjAwMDAwMDAwNjQgMDAwMDAgbiAKMDAwMDAwMDEyMSAwMDAwMCBuIAowMDAwMDAwMTkxIDAwMDAwIG4gCjAwMDAwMDAyNzIgMDAwMDAgbiAKMDAwMDAwMDM1NyAwMDAwMCBuIAp0cmFpbGVyCjw8IC9TaXplIDcgL1Jvb3QgMSAwIFIgPj4Kc3RhcnR4cmVmCjQ4MwolJUVPRgo=';
await parse({ data: new Uint8Array(Buffer.from(WARM_UP_PDF, 'base64')), maxPages: 1 });
