// Runs in a worker thread of the `html` pool (see html.ts): sanitising and readability scale with
// the document, so they stay off the event loop. Imports packages only (no static relative imports), so
// the same file runs from src/ (type-stripped) and from dist/. It owns the service's one sanitiser
// configuration.
import { workerData } from 'node:worker_threads';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import sanitizeHtml from 'sanitize-html';

// Engine work yields the CPU to the event loop (ENGINE_NICE): common/fair/thread-nice, loaded by URL.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const { niceThisThread } = (await import(
  new URL(`../../../common/fair/thread-nice${ext}`, import.meta.url).href
)) as typeof import('../../../common/fair/thread-nice.js');
niceThisThread(Number((workerData as { nice?: number } | undefined)?.nice ?? 0));

/** The running task's hold (FairPool.runInTurns), while a pool task runs on this thread. */
let hold: Int32Array | undefined;
let points = 0;
/** How long the running task's thread has waited at its hold points, in ms. */
let heldMs = 0;

/**
 * A safe point of the walks (an element opened, a piece of text, a tag passed): every 64th one
 * looks at the task's hold and, while it is set, this thread waits here (its slot went to another
 * org's document; the walk goes on where it stopped, in its org's next turn).
 */
function holdPoint(): void {
  if (!hold || (++points & 63) !== 0) return;
  if (Atomics.load(hold, 0) !== 1) return;
  const t = performance.now();
  while (Atomics.load(hold, 0) === 1) Atomics.wait(hold, 0, 1);
  heldMs += performance.now() - t;
}

/**
 * The sanitiser's text filter, which leaves text as it is: a safe point for text without tags
 * (10 MiB of `&amp;` or of `< a` is millions of text pieces and no element).
 */
const passText = (text: string): string => (holdPoint(), text);

/** Runs `work` with `h` as the task's hold (see holdPoint). */
function withHold<T>(h: Int32Array | undefined, work: () => T): T {
  hold = h;
  heldMs = 0;
  try {
    return work();
  } finally {
    hold = undefined;
  }
}

/** Elements removed together with everything inside them (their content is code, not text). */
const DROP_WITH_CONTENT = [
  'script',
  'style',
  'textarea',
  'option',
  'noscript',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'template',
  'svg',
  'math',
  'noembed',
  'noframes',
  'xmp',
  'plaintext',
  'title',
  'head',
  'select',
];

/**
 * The one HTML sanitiser of the service (sanitize-html, maintained, allowlist-based): no script,
 * no event handlers, no style (element or attribute, so no CSS that loads URLs), no iframes,
 * forms or embedded objects; links and sources only http(s) (and mailto for links), never
 * protocol-relative; links get rel="noopener noreferrer nofollow".
 */
export function sanitize(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: sanitizeHtml.defaults.allowedTags
      .filter((t) => !['iframe', 'form', 'style'].includes(t))
      .concat(['img']),
    allowedAttributes: {
      a: ['href', 'title', 'target', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      '*': ['lang', 'dir'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    allowedStyles: {},
    disallowedTagsMode: 'discard',
    nonTextTags: DROP_WITH_CONTENT,
    onOpenTag: holdPoint,
    textFilter: passText,
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: {
          ...attribs,
          rel: 'noopener noreferrer nofollow',
          ...(attribs.target ? { target: '_blank' } : {}),
        },
      }),
    },
  });
}

/**
 * Nesting past which a document is not given to the HTML parser: htmlparser2 (under sanitize-html
 * and linkedom) keeps its open elements with Array#unshift, so its cost grows with the square of
 * the depth (40,000 nested <div>: 0.5 s; a 1 MiB message of them 13 s, a 5 MiB page minutes of a
 * pool thread). Such a document is read as flat text (flatText) and kept as escaped paragraphs.
 */
export const HTML_MAX_DEPTH = 1_000;

/** Elements the parser closes without an end tag: void, or closed by their next sibling. */
const NOT_NESTING = new Set(
  'area base br col embed hr img input link meta param source track wbr p li dt dd option optgroup tr td th thead tbody tfoot rb rt rp'.split(' '),
);

/** Whether a char code may continue a tag name (letters, digits, `_`, `:`, `-`). */
const nameChar = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x3a || c === 0x2d;

/**
 * The tags `html` opens, and how deep its elements may nest: open tags less end tags, of elements
 * that nest (an upper bound of the parser's stack: an end tag that closes several counts one). One
 * pass, no regular expression (nothing to backtrack on a hostile document); it stops once the depth
 * passes `stopDepth`.
 */
function shapeOf(html: string, stopDepth: number): { tags: number; depth: number } {
  let depth = 0;
  let tags = 0;
  for (let i = html.indexOf('<'); i !== -1; i = html.indexOf('<', i + 1)) {
    const close = html.charCodeAt(i + 1) === 0x2f; // '/'
    const start = i + (close ? 2 : 1);
    const first = html.charCodeAt(start) | 0x20; // lower case
    if (!(first >= 0x61 && first <= 0x7a)) continue; // not a tag: text, a comment or a doctype
    holdPoint();
    let j = start + 1;
    while (j < html.length && nameChar(html.charCodeAt(j))) j++;
    if (!close) tags++;
    if (NOT_NESTING.has(html.slice(start, j).toLowerCase())) continue;
    if (close) depth = Math.max(0, depth - 1);
    else if (++depth > stopDepth) break;
  }
  return { tags, depth };
}

/** Whether `html` may nest elements deeper than `max` (see shapeOf). */
export const nestsDeeper = (html: string, max: number): boolean => shapeOf(html, max).depth > max;

/** HTML entities the text walks decode (`&amp;` last: `&amp;lt;` is the text `&lt;`). */
const decodeEntities = (text: string) =>
  text
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

const squeeze = (text: string) =>
  text
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n\n')
    .trim();

/**
 * The text of a document without parsing it (for one that nests too deep): the content of the
 * DROP_WITH_CONTENT elements and every tag left out, in one forward pass.
 */
export function flatText(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    holdPoint();
    const gt = html.indexOf('>', lt + 1);
    if (gt === -1) break; // an unterminated tag: the rest is not text
    const name = /^[a-z][\w:-]*/.exec(lower.slice(lt + 1, Math.min(gt, lt + 32)))?.[0];
    i = gt + 1;
    if (name && DROPPED.has(name)) {
      const end = lower.indexOf(`</${name}`, i);
      if (end === -1) break;
      const endGt = html.indexOf('>', end);
      i = endGt === -1 ? html.length : endGt + 1;
    } else out += ' ';
  }
  return squeeze(decodeEntities(out));
}

const DROPPED = new Set(DROP_WITH_CONTENT);

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Plain text of an HTML fragment, for chunking and search. */
export function htmlToText(html: string): string {
  return nestsDeeper(html, HTML_MAX_DEPTH) ? flatText(html) : textOf(html);
}

/** Plain text of HTML whose depth was checked (the parser's walk). */
const textOf = (html: string) =>
  squeeze(
    decodeEntities(
      sanitizeHtml(html, {
        allowedTags: [],
        allowedAttributes: {},
        nonTextTags: DROP_WITH_CONTENT,
        onOpenTag: holdPoint,
        textFilter: passText,
      }),
    ),
  );

/** Sanitised HTML and its plain text, in one trip to the pool. */
export function clean(html: string): { html: string; text: string } {
  if (nestsDeeper(html, HTML_MAX_DEPTH)) {
    // too deep to parse: kept as its text, in escaped paragraphs
    const text = flatText(html);
    return { html: text.split('\n\n').map((p) => `<p>${escapeHtml(p)}</p>`).join('\n'), text };
  }
  // the sanitised HTML nests no deeper than its source: its text needs no second check
  const safe = sanitize(html);
  return { html: safe, text: textOf(safe) };
}

/** As sniff.ts NOT_TEXT: text may hold tab, LF, FF and CR; any other C0 control or DEL means binary. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_TEXT = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;

/**
 * `clean` as a pool task that takes turns (HtmlEngine: FairPool.runInTurns gives it `hold`); with
 * how long its thread was held between turns, in ms.
 */
export function cleanTask(task: { html: string; hold?: Int32Array }): { html: string; text: string; heldMs: number } {
  return withHold(task.hold, () => ({ ...clean(task.html), heldMs }));
}

/** `heldMs`: how long the thread was held between turns (FairPool.runInTurns). */
export type CleanUploadAnswer = { ok: true; html: Uint8Array; text: Uint8Array; heldMs: number } | { ok: false };

/**
 * An uploaded HTML file, as bytes handed over by transfer: decoded and checked as text here (fatal
 * UTF-8, no control characters, BOMs dropped: the checks sniff.ts makes of smaller files), then
 * cleaned. Answers the sanitised HTML and its text as UTF-8 bytes, handed back by transfer: the
 * event loop neither decodes, copies nor encodes the document (the database gets the bytes).
 * `ok: false`: not UTF-8 text.
 */
export function cleanUpload(task: { bytes: ArrayBuffer; offset: number; length: number; hold?: Int32Array }): CleanUploadAnswer {
  return withHold(task.hold, () => cleanBytes(task));
}

function cleanBytes(task: { bytes: ArrayBuffer; offset: number; length: number }): CleanUploadAnswer {
  let html: string;
  try {
    html = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      new Uint8Array(task.bytes, task.offset, task.length),
    );
  } catch {
    return { ok: false };
  }
  if (NOT_TEXT.test(html)) return { ok: false };
  if (html.startsWith('\ufeff')) html = html.slice(1);
  const out = clean(html);
  const encoder = new TextEncoder();
  const answer = { ok: true as const, html: encoder.encode(out.html), text: encoder.encode(out.text), heldMs };
  return move({
    [transferableSymbol]: [answer.html.buffer, answer.text.buffer],
    [valueSymbol]: answer,
  }) as unknown as CleanUploadAnswer;
}

/**
 * Tags past which a page is not given to Readability: its scoring costs about 2 s a MiB of small
 * elements here (a 5 MiB page of `<p>a b</p>` held the pool's thread 25–60 s), where the plain-text
 * walk costs a tenth. An article of 50,000 tags (a long encyclopedia page) still gets Readability.
 */
export const READABLE_MAX_TAGS = 50_000;

/** The page's <title>, read from its head (no parse). */
function titleOf(html: string): string | null {
  const m = /<title[^>]*>([^<]{1,1000})<\/title>/i.exec(html.slice(0, 65_536));
  return m?.[1].trim() || null;
}

/**
 * The readable article text of a fetched HTML page (Readability on linkedom: no script runs,
 * nothing is fetched). Pages Readability cannot make an article of, and pages of more than
 * READABLE_MAX_TAGS tags, give all their text.
 */
export function readable(html: string): { title: string | null; text: string } {
  const shape = shapeOf(html, HTML_MAX_DEPTH);
  if (shape.depth > HTML_MAX_DEPTH) return { title: titleOf(html), text: flatText(html) };
  if (shape.tags > READABLE_MAX_TAGS) return { title: titleOf(html), text: textOf(html) };
  try {
    const { document } = parseHTML(html);
    const article = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], {
      charThreshold: 100,
    }).parse();
    const text = article?.textContent && squeeze(article.textContent);
    if (text) return { title: article?.title?.trim() || null, text };
    const title = document.querySelector('title')?.textContent?.trim() || null;
    return { title, text: textOf(html) }; // its depth was checked above
  } catch {
    return { title: null, text: textOf(html) };
  }
}

/**
 * A fetched document's bytes, handed over by transfer, decoded in their charset here (a legacy one,
 * gb18030 or euc-jp, took 22–152 ms for 5 MiB on the event loop): its text, and for HTML its
 * readable text (`readable`). An unknown charset is read as UTF-8; NUL characters are dropped.
 */
export function fetchedText(task: { bytes: ArrayBuffer; offset: number; length: number; charset?: string; html: boolean }): {
  title: string | null;
  text: string;
} {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(task.charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  const body = decoder.decode(new Uint8Array(task.bytes, task.offset, task.length)).replaceAll('\u0000', '');
  return task.html ? readable(body) : { title: null, text: body };
}

/**
 * A long mixed document cleaned once as the thread starts (a warm thread, PARSE_WARM_THREADS): the
 * sanitiser's and the text walk's hot paths are compiled here, at boot, not on the first large
 * upload, where V8's compiler threads (shared by the process, at the event loop's priority) took
 * the CPU from every org's requests.
 */
const WARM_UP_BLOCK =
  '<div class="c" style="color:red" onclick="x()"><h2>Title</h2><p>Some <b>bold</b>, <i>italic</i> and ' +
  '<a href="https://example.com/a?b=c" target="_blank">a link</a>.</p><ul><li>one</li><li>two</li></ul>' +
  '<table><tr><td>cell</td><td><img src="x.png" alt="x" onerror="y()"></td></tr></table><script>evil()</script></div>\n';
clean(`<!doctype html><html><head><title>warm</title></head><body>${WARM_UP_BLOCK.repeat(600)}</body></html>`);
