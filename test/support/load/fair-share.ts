import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import pg from 'pg';
import { performance } from 'node:perf_hooks';
import { FormData, Pool } from 'undici';
import { stopChild, track } from './deployment.js';
import { densePng, inflatingPdf, makePdf, slowPagePdf, textPdf, textPng } from '../files.js';
import { insertChunks } from '../chunks.js';
import { Driver, type Route, type Sample } from './driver.js';
import { serverNodeArgs, percentile } from './load.js';

/**
 * The abuse classes of issue 15's table, each run against one all-in-one service process while the
 * quiet org is measured alone and then during the abuse. Shared by `npm run bench:fair-share`
 * (full size, prints the figures) and test/serial/fair-share.test.ts (smaller, asserts bounds).
 */

export interface Tenant {
  org: string;
  /** Bearer token (its claim names the org, or none for a user without one). */
  token: string;
}

export interface FairShareCtx {
  url: string;
  /** The org being measured. */
  quiet: Tenant;
  /** The abusive org (member owner token with the org claim). */
  noisy: Tenant;
  /** A second abusive org (the `pdf-two-orgs` row: two orgs' documents at once). */
  noisy2?: Tenant;
  /** A user with no membership at all (market search without X-Org-Id). */
  orphan: Tenant;
  /** A user whose only membership is the noisy org, token without an org claim. */
  noisyNoClaim: Tenant;
  /** A super admin (sets the noisy org's limits for the `market-org-limit` row). */
  admin: Tenant;
  uploadMaxBytes: number;
  bodyLimitBytes: number;
  /** The noisy org's large item (the `large-item-reads` row stores it before its alone phase). */
  largeItemId?: string;
  /** The noisy org's thread of long messages (the `thread-pages` row stores it before its alone phase). */
  longThreadId?: string;
  /** The database as its owner (the `hybrid-text` and `publishes` rows write the noisy org's chunks directly, as embed jobs would). */
  ownerUrl?: string;
  /** The noisy org's embedded items the `publishes` row publishes (stored before its alone phase). */
  publishItemIds?: string[];
  /** The service's METRICS_TOKEN: with it a row reads the main thread's full collections from /metrics. */
  metricsToken?: string;
}

export interface Scale {
  /** Quiet cheap probes alone, per row. */
  aloneMs: number;
  /** Quiet GET /v1/org probes per second (alone and during). */
  cheapRps: number;
  /** Upper bound of a "during" phase (the abuse is awaited, bounded by this). */
  maxDuringMs: number;
  /** Quiet small uploads alone (OCR, PDF rows). */
  quietUploadsAlone: number;
  market: { requests: number; concurrency: number };
  marketOrgLimit: { requests: number; limit: number; windowS: number };
  json: { requests: number; concurrency: number };
  /** HTML bytes; capped at the upload limit. */
  htmlBytes: number;
  ocr: { uploads: number; lines: number; chars: number; scale: number };
  pdf: { uploads: number; pages: number; linesPerPage: number };
  /** Row (d2): each of two orgs sends `uploads` dense images at once. */
  ocrTwoOrgs?: { uploads: number; lines: number; chars: number; scale: number };
  /** Row (c2): each of two orgs sends `uploads` HTML files of `htmlBytes` at once. */
  htmlTwoOrgs?: { uploads: number };
  /** Row (e3): each of two orgs sends `uploads` PDFs at once. */
  pdfTwoOrgs?: { uploads: number; pages: number; linesPerPage: number };
  /** Row (e4): one-page PDFs of `ops` text operators (slowPagePdf), `uploads` at a time per org. */
  pdfSlowPages?: { uploads: number; ops: number };
  flood: { rps: number; ms: number };
  /** Row (f2)'s flood of small writes (default: `flood`'s). */
  postFlood?: { rps: number; ms: number };
  /** Reads of one item of `htmlBytes` of sanitised HTML, `concurrency` at a time, `requests` per sending. */
  largeItem: { htmlBytes: number; requests: number; concurrency: number };
  /** Reads of the first page (limit 100) of a thread of `messages` messages of `chars` 3-byte characters, `concurrency` at a time. */
  threadPages?: { messages: number; chars: number; requests: number; concurrency: number };
  /** Messages of `chars` 3-byte characters posted to one thread, `concurrency` at a time, `requests` per sending. */
  largeBodies?: { chars: number; requests: number; concurrency: number };
  /** POST /v1/embeddings of `inputs` inputs of `chars` characters, `concurrency` at a time, `requests` per sending. */
  longEmbeddings?: { inputs: number; chars: number; requests: number; concurrency: number };
  /** Row (m): POST /v1/tts of `chars` characters of prose, `concurrency` at a time, `requests` per sending. */
  ttsStreams?: { chars: number; requests: number; concurrency: number };
  /**
   * Hybrid searches by an org of `chunks` chunks (each holding the same `words` words), for a phrase
   * of common words that never occur in that order, `concurrency` at a time, `requests` per sending.
   */
  hybridText?: { chunks: number; words: number; requests: number; concurrency: number };
  /** Publish then withdraw (`requests` cycles, `concurrency` at a time) of `items` embedded items of `chunks` chunks each. */
  publishes?: { items: number; chunks: number; requests: number; concurrency: number };
  /**
   * The abuse is sent again, whole, until at least this long has passed since it began (0: once).
   * Sustained abuse is what an attacker does, and it gives "during" as many quiet samples as
   * "alone": a p95 of a dozen samples is decided by one stall.
   */
  sustainMs?: number;
}

export const BENCH_SCALE: Scale = {
  aloneMs: 10_000,
  sustainMs: 10_000,
  cheapRps: 20,
  maxDuringMs: 30_000,
  quietUploadsAlone: 10,
  market: { requests: 96, concurrency: 8 },
  marketOrgLimit: { requests: 15, limit: 5, windowS: 60 },
  json: { requests: 24, concurrency: 8 },
  htmlBytes: 10 * 1024 * 1024,
  ocr: { uploads: 4, lines: 16, chars: 60, scale: 2 },
  pdf: { uploads: 3, pages: 150, linesPerPage: 60 },
  pdfTwoOrgs: { uploads: 3, pages: 500, linesPerPage: 200 },
  pdfSlowPages: { uploads: 1, ops: 5_000_000 },
  ocrTwoOrgs: { uploads: 2, lines: 60, chars: 120, scale: 2 },
  htmlTwoOrgs: { uploads: 2 },
  flood: { rps: 300, ms: 10_000 },
  // a small write is cheaper than a page of 20 threads: at 300 req/s it barely shows, with or without turns
  postFlood: { rps: 580, ms: 10_000 },
  largeItem: { htmlBytes: 9 * 1024 * 1024, requests: 8, concurrency: 4 },
  threadPages: { messages: 100, chars: 100_000, requests: 16, concurrency: 4 },
  largeBodies: { chars: 100_000, requests: 64, concurrency: 16 },
  longEmbeddings: { inputs: 16, chars: 4000, requests: 4, concurrency: 2 },
  ttsStreams: { chars: 5000, requests: 12, concurrency: 6 },
  hybridText: { chunks: 30_000, words: 150, requests: 16, concurrency: 4 },
  publishes: { items: 4, chunks: 2000, requests: 8, concurrency: 4 },
};

export enum Row {
  MarketNoOrg = 'market-no-org',
  MarketOrgLimit = 'market-org-limit',
  JsonDepth = 'json-depth',
  HtmlUpload = 'html-upload',
  Ocr = 'ocr',
  Pdf = 'pdf',
  PdfBombs = 'pdf-bombs',
  PdfTwoOrgs = 'pdf-two-orgs',
  PdfSlowPages = 'pdf-slow-pages',
  OcrTwoOrgs = 'ocr-two-orgs',
  HtmlTwoOrgs = 'html-two-orgs',
  ThreadsFlood = 'threads-flood',
  PostFlood = 'post-flood',
  LargeItemReads = 'large-item-reads',
  ThreadPages = 'thread-pages',
  LargeBodies = 'large-bodies',
  LongEmbeddings = 'long-embeddings',
  TtsStreams = 'tts-streams',
  HybridText = 'hybrid-text',
  Publishes = 'publishes',
  /** Calibration, not an abuse: CPU spent by something the service never schedules (see floorOf). */
  FloorNone = 'floor-none',
  FloorPostgres = 'floor-postgres',
  FloorNiced = 'floor-niced',
  FloorIdle = 'floor-idle',
}

/** The calibration rows: no request reaches the service; they are not held to the goal. */
export const FLOOR_ROWS: readonly Row[] = [Row.FloorNone, Row.FloorPostgres, Row.FloorNiced, Row.FloorIdle];

export const ROW_TITLES: Record<Row, string> = {
  [Row.MarketNoOrg]: '(a) POST /v1/search/market by a user with no org',
  [Row.MarketOrgLimit]: '(a2) market search, single-org user, api policy lowered',
  [Row.JsonDepth]: '(b) deeply nested JSON bodies',
  [Row.HtmlUpload]: '(c) one large HTML upload',
  [Row.Ocr]: '(d) dense image uploads (OCR)',
  [Row.Pdf]: '(e) heavy PDF uploads',
  [Row.PdfBombs]: '(e2) PDFs of a few KB that inflate to 16 GiB, 3 at a time',
  [Row.OcrTwoOrgs]: "(d2) two orgs' dense images, 2 at a time each, one org first: every OCR slot held",
  [Row.HtmlTwoOrgs]:
    "(c2) two orgs' 10 MiB HTML uploads, 2 at a time each, one org first: every HTML thread held",
  [Row.PdfTwoOrgs]: "(e3) two orgs' long PDFs, 3 at a time each, one org first: every parser thread held",
  [Row.PdfSlowPages]: "(e4) two orgs' PDFs of one slow page (5 million operators), one at a time each, one org first: every parser thread held by a page",
  [Row.ThreadsFlood]: '(f) GET /v1/threads flood within the api quota',
  [Row.PostFlood]: '(f2) POST /v1/threads flood (small bodies) within the api quota',
  [Row.LargeItemReads]: '(g) GET of a 9 MiB knowledge item, 4 at a time',
  [Row.ThreadPages]: '(h) pages of a thread of 100 messages of 300 KB, 4 at a time',
  [Row.LargeBodies]: '(l) POST of messages of 300 KB, 16 at a time, within the api quota',
  [Row.LongEmbeddings]: '(i) POST /v1/embeddings of 16 longest inputs, 2 at a time',
  [Row.TtsStreams]: '(m) POST /v1/tts of the longest texts, 6 at a time, within the default tts policy',
  [Row.HybridText]: '(j) hybrid searches with a costly full-text half, 4 at a time',
  [Row.Publishes]: '(k) market publishes of 2,000-chunk items, withdrawn and again, 4 at a time',
  [Row.FloorNone]: '(floor) nothing: the quiet org alone twice',
  [Row.FloorPostgres]: '(floor) one Postgres backend half busy, no request to the service',
  [Row.FloorNiced]: '(floor) two busy processes at nice 10, no request to the service',
  [Row.FloorIdle]: '(floor) two busy processes under SCHED_IDLE, no request to the service',
};

export interface Latencies {
  n: number;
  p50: number;
  p95: number;
  /** Answers that were not 2xx (a quiet request should never get one). */
  failed: number;
  /** Those answers by status and problem type where the answer was read (`error`: none), e.g. {"429 rate-limited": 3}. */
  failures: Record<string, number>;
}

export interface Counts {
  requests: number;
  ok2xx: number;
  limited429: number;
  other4xx: number;
  server5xx: number;
  /** Transport errors and timeouts. */
  errors: number;
  /** Not sent: the load generator already had its bound of requests in flight. */
  notSent: number;
}

export interface RowResult {
  row: Row;
  /** What the noisy side sent, in words (sizes included). */
  abuse: string;
  cheapAlone: Latencies;
  cheapDuring: Latencies;
  /** The quiet org's own request of the row's kind (QUIET_SECOND: a small upload, a search), and what it is. */
  uploadWhat?: string;
  uploadAlone?: Latencies;
  uploadDuring?: Latencies;
  noisy: Counts;
  /** Status codes the noisy side saw, e.g. {"201": 3, "429": 1}. */
  statuses: Record<string, number>;
  /** The noisy side's 2xx answers that carried no RateLimit-Policy header (the limiter never saw them). */
  unlimited2xx: number;
  abuseMs: number;
  /** The service's main-thread full (mark-compact) collections during the abuse, and their pauses (with ctx.metricsToken). */
  majorGc?: GcCount;
}

export interface GcCount {
  count: number;
  pauseMs: number;
}

/**
 * The service's main-thread full collections so far: `rocker_nodejs_gc_duration_seconds` of kind
 * `major` (count and sum) from /metrics.
 */
async function majorGc(ctx: FairShareCtx): Promise<GcCount | undefined> {
  if (!ctx.metricsToken) return undefined;
  const res = await fetch(`${ctx.url}/metrics`, { headers: { authorization: `Bearer ${ctx.metricsToken}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const read = (series: string) =>
    Number(
      new RegExp(`^rocker_nodejs_gc_duration_seconds_${series}\\{kind="major"\\} (\\S+)$`, 'm').exec(
        text,
      )?.[1] ?? 0,
    );
  return { count: read('count'), pauseMs: read('sum') * 1000 };
}

export const ratio = (during: Latencies, alone: Latencies): number => during.p95 / alone.p95;

// ---------------------------------------------------------------- the service process

export interface Service {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `script` (dist/test/support/servers/all-in-one.js) with `env`, waits for "listening <port>" and
 * then for /health/ready, both bounded. The child is killed when this process exits or is
 * signalled; `stop()` sends SIGTERM and SIGKILL after `graceMs`.
 */
export async function startService(
  script: string,
  env: Record<string, string>,
  readyTimeoutMs = 120_000,
): Promise<Service> {
  const child = spawn(process.execPath, [...serverNodeArgs(), script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  const stop = () => stopChild(child, 10_000);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(
        () => reject(new Error(`no "listening" within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /listening (\d+)/.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      });
    });
    // FAIR_SERVICE_LOG=<file> keeps the service's log lines (e.g. with FAIR_LOG_LEVEL=info)
    if (process.env.FAIR_SERVICE_LOG) child.stdout!.pipe(createWriteStream(process.env.FAIR_SERVICE_LOG));
    else child.stdout!.resume();
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const ok = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${url}/health/ready not ready within ${readyTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { url, pid: child.pid!, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------- files the rows send

/** The quiet org's small OCR upload: one short line. */
export const smallPng = (): Buffer => textPng(['HELLO WORLD'], 4);

/** A long report: every page full of lines of text. */
// Short lines: the parser's cost is per text operator, while the text (which the ingest job then
// embeds in the background, after the row) stays small enough not to spill into the next row.
export const heavyPdf = (pages: number, linesPerPage: number, seed = 1): Buffer =>
  textPdf(pages, linesPerPage, (p, n) => `r${seed} p${p + 1} l${n + 1}`);

/** The quiet org's one-line PDF. */
export const oneLinePdf = (): Buffer => makePdf(1, ['Hello from the quiet org']);

/** `[[[[…]]]]` of exactly `bytes` bytes (even). */
export const nestedJson = (bytes: number): string => '['.repeat(bytes >> 1) + ']'.repeat(bytes >> 1);

/** The quiet org's HTML upload in row (c2): a page of a few hundred bytes. */
export const SMALL_HTML =
  '<!doctype html><html><head><title>notes</title></head><body><h1>Notes</h1><p>Rain along the coast, <b>wind</b> from the west.</p></body></html>\n';

/** HTML of about `bytes` bytes that gives a sanitiser work: nested tags, attributes, scripts, links. */
export function heavyHtml(bytes: number): Buffer {
  const head = '<!doctype html><html><head><title>report</title></head><body>\n';
  const tail = '</body></html>\n';
  // Markup the sanitiser must walk and rewrite, around one word: the stored text stays small.
  const block =
    '<div class="c" style="color:red" onclick="x()"><p><b><i><a href="https://example.com/a?b=c" target="_blank">' +
    '<span data-x="1"><em><img src="x.png" onerror="y()"></em></span></a></i></b></p><script>evil()</script><ul><li>x</li></ul></div>\n';
  const n = Math.max(1, Math.floor((bytes - head.length - tail.length) / block.length));
  return Buffer.from(head + block.repeat(n) + tail);
}

// ---------------------------------------------------------------- measuring

const ORG: Route = { name: 'GET /v1/org', method: 'GET', path: '/v1/org', kind: 'cheap' };
const THREADS: Route = {
  name: 'GET /v1/threads',
  method: 'GET',
  path: '/v1/threads?limit=20',
  kind: 'cheap',
};
/** A small write: a body of about 20 bytes. */
const NEW_THREAD: Route = {
  name: 'POST /v1/threads',
  method: 'POST',
  path: '/v1/threads',
  body: (i) => ({ title: `flood ${i}` }),
  kind: 'write',
};
const market = (q: string): Route => ({
  name: 'POST /v1/search/market',
  method: 'POST',
  path: '/v1/search/market',
  kind: 'costly',
  body: (i) => ({ query: `${q} ${i}`, k: 5 }),
});

export function latencies(samples: { latency: number; status: number; detail?: string }[]): Latencies {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300).map((s) => s.latency);
  const failures: Record<string, number> = {};
  for (const s of samples.filter((x) => x.status < 200 || x.status >= 300)) {
    // a problem's type names why (a quiet request refused by its own quota is not a neighbour's doing)
    const type = /"type":"[^"]*\/([^"/]+)"/.exec(s.detail ?? '')?.[1];
    const key = `${s.status || 'error'}${type ? ` ${type}` : ''}`;
    failures[key] = (failures[key] ?? 0) + 1;
  }
  return {
    n: samples.length,
    p50: percentile(ok, 50),
    p95: percentile(ok, 95),
    failed: samples.length - ok.length,
    failures,
  };
}

export function counts(samples: { status: number }[], notSent = 0): Counts {
  const c: Counts = {
    requests: samples.length,
    ok2xx: 0,
    limited429: 0,
    other4xx: 0,
    server5xx: 0,
    errors: 0,
    notSent,
  };
  for (const { status } of samples) {
    if (status === 0) c.errors++;
    else if (status < 300) c.ok2xx++;
    else if (status === 429) c.limited429++;
    else if (status < 500) c.other4xx++;
    else c.server5xx++;
  }
  return c;
}

const statusesOf = (samples: { status: number }[]) => {
  const out: Record<string, number> = {};
  for (const s of samples) out[String(s.status || 'error')] = (out[String(s.status || 'error')] ?? 0) + 1;
  return out;
};

/** One multipart upload (POST /v1/knowledge/upload) on its own pool; never throws (status 0). */
type Answer = { latency: number; status: number; policy?: string; detail?: string; body?: string };

const policyOf = (h: string | string[] | undefined) => (Array.isArray(h) ? h.join(', ') : h);

async function upload(pool: Pool, token: string, file: Buffer, name: string, mime: string): Promise<Answer> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(file)], { type: mime }), name);
  const t0 = performance.now();
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/knowledge/upload',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    const text = await res.body.text();
    return {
      latency: performance.now() - t0,
      status: res.statusCode,
      policy: policyOf(res.headers['ratelimit-policy']),
      detail: res.statusCode >= 300 ? text.slice(0, 200) : undefined,
      body: text,
    };
  } catch (e) {
    return { latency: performance.now() - t0, status: 0, detail: String(e) };
  }
}

/** One GET whose body is read to its end and dropped; never throws. */
async function readWhole(pool: Pool, token: string, path: string): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await pool.request({ method: 'GET', path, headers: { authorization: `Bearer ${token}` } });
    for await (const chunk of res.body) void chunk;
    return {
      latency: performance.now() - t0,
      status: res.statusCode,
      policy: policyOf(res.headers['ratelimit-policy']),
    };
  } catch (e) {
    return { latency: performance.now() - t0, status: 0, detail: String(e) };
  }
}

/**
 * HTML that sanitises to about as many bytes and to almost no text (so its embed job is short):
 * the large document a tenant may store, and then read back.
 */
export function markupOnlyHtml(bytes: number): Buffer {
  const block = '<p><b><i>&nbsp;</i></b></p>\n';
  return Buffer.from(
    `<!doctype html><html><body><h1>large</h1>\n${block.repeat(Math.floor((bytes - 64) / block.length))}</body></html>\n`,
  );
}

/** Uploads `who`'s large item of `bytes` of markup; answers its id. */
async function storeLargeItem(who: Tenant, bytes: number, pool: Pool): Promise<string> {
  const r = await upload(pool, who.token, markupOnlyHtml(bytes), 'large.html', 'text/html');
  if (r.status !== 201) throw new Error(`storing a large item: ${r.status} ${r.detail}`);
  return (JSON.parse(r.body!) as { id: string }).id;
}

/** `who`'s thread of `messages` messages of `chars` 3-byte characters each; answers its id. */
/** The phrase row (j) searches for: words every chunk of its corpus holds, never in this order. */
const CRAFTED_PHRASE = '"rock rock rock rock"';

/**
 * Row (j)'s corpus: `chunks` chunks of one item in the noisy org, each the same `words` words (one
 * constant vector: the row is about the full-text half), written as the owner the way an embed
 * job writes them; and hybrid search on for everyone (the `hybrid_search` flag).
 */
async function storeTextCorpus(ctx: FairShareCtx, chunks: number, words: number): Promise<void> {
  const c = new pg.Client({ connectionString: ctx.ownerUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.org_id', $1, true)`, [ctx.noisy.org]);
    const item = (
      await c.query(
        `INSERT INTO knowledge_items (org_id, title, source_kind, status, content_text) VALUES ($1, 'corpus', 'text', 'ready', 'corpus') RETURNING id`,
        [ctx.noisy.org],
      )
    ).rows[0].id as string;
    const text = [
      'rock stone granite basalt quartz',
      ...Array.from({ length: words - 5 }, (_, i) => `w${i}`),
    ].join(' ');
    await insertChunks(c, {
      orgId: ctx.noisy.org,
      itemId: item,
      n: chunks,
      content: text,
      vectors: 'constant',
    });
    await c.query('COMMIT');
    await c.query('ANALYZE private_chunks');
  } finally {
    await c.end();
  }
  await setFlag(ctx, 'hybrid_search', true);
}

/** Row (k)'s items: `items` ready items of the noisy org with `chunks` chunks each (random vectors), as embed jobs leave them. */
async function storePublishItems(ctx: FairShareCtx, items: number, chunks: number): Promise<string[]> {
  const c = new pg.Client({ connectionString: ctx.ownerUrl });
  await c.connect();
  try {
    const ids: string[] = [];
    for (let i = 0; i < items; i++) {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('app.org_id', $1, true)`, [ctx.noisy.org]);
      const id = (
        await c.query(
          `INSERT INTO knowledge_items (org_id, title, source_kind, status, content_text) VALUES ($1, $2, 'text', 'ready', 'doc') RETURNING id`,
          [ctx.noisy.org, `doc ${i}`],
        )
      ).rows[0].id as string;
      await insertChunks(c, {
        orgId: ctx.noisy.org,
        itemId: id,
        n: chunks,
        content: 'chunk',
        numbered: true,
        vectors: 'random',
      });
      await c.query('COMMIT');
      ids.push(id);
    }
    return ids;
  } finally {
    await c.end();
  }
}

/** Publishes an item, then withdraws its listing: the answer is the publish's (its latency the pair's). */
async function publishAndWithdraw(pool: Pool, token: string, itemId: string): Promise<Answer> {
  const t0 = performance.now();
  const published = await rawJson(pool, token, `/v1/knowledge/${itemId}/publish`, '{}');
  if (published.status !== 201) return published;
  const list = await pool.request({
    method: 'GET',
    path: `/v1/market/listings?limit=100`,
    headers: { authorization: `Bearer ${token}` },
  });
  const listings = ((await list.body.json()) as { data: { id: string; title: string }[] }).data;
  for (const l of listings)
    await (
      await pool.request({
        method: 'DELETE',
        path: `/v1/market/listings/${l.id}`,
        headers: { authorization: `Bearer ${token}` },
      })
    ).body.dump();
  return { ...published, latency: performance.now() - t0 };
}

async function setFlag(ctx: FairShareCtx, key: string, enabled: boolean): Promise<void> {
  const res = await fetch(`${ctx.url}/v1/admin/flags/${key}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ctx.admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled, rollout_percent: 100 }),
  });
  if (!res.ok) throw new Error(`setting flag ${key}: ${res.status} ${await res.text()}`);
}

async function storeLongThread(who: Tenant, messages: number, chars: number, pool: Pool): Promise<string> {
  const post = async (path: string, body: object) => {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`storing a long thread: ${res.statusCode} ${text}`);
    return JSON.parse(text) as { id: string };
  };
  const { id } = await post('/v1/threads', { title: 'long' });
  const content = '中'.repeat(chars);
  for (let i = 0; i < messages; i++) await post(`/v1/threads/${id}/messages`, { role: 'user', content });
  return id;
}

/** `words` repeated to exactly `chars` characters. */
const textOf = (words: string, chars: number): string =>
  words.repeat(Math.ceil(chars / words.length)).slice(0, chars);

/** What each of the two noisy orgs of rows (c2), (d2) and (e3) sends at once. */
function twoOrgFiles(row: Row, scale: Scale, uploadMaxBytes: number): { data: Buffer; name: string; mime: string }[] {
  switch (row) {
    case Row.HtmlTwoOrgs:
      return Array.from({ length: scale.htmlTwoOrgs!.uploads }, (_, i) => ({
        data: heavyHtml(Math.min(scale.htmlBytes, uploadMaxBytes)),
        name: `report-${i}.html`,
        mime: 'text/html',
      }));
    case Row.OcrTwoOrgs: {
      const { uploads, lines, chars, scale: s } = scale.ocrTwoOrgs!;
      return Array.from({ length: uploads }, (_, i) => ({
        data: densePng(lines, chars, s, i + 1),
        name: `scan-${i}.png`,
        mime: 'image/png',
      }));
    }
    case Row.PdfSlowPages: {
      const { uploads, ops } = scale.pdfSlowPages!;
      return Array.from({ length: uploads }, (_, i) => ({ data: slowPagePdf(ops), name: `slow-${i}.pdf`, mime: 'application/pdf' }));
    }
    default: {
      const { uploads, pages, linesPerPage } = scale.pdfTwoOrgs!;
      return Array.from({ length: uploads }, (_, i) => ({
        data: heavyPdf(pages, linesPerPage, i + 1),
        name: `report-${i}.pdf`,
        mime: 'application/pdf',
      }));
    }
  }
}

/** One JSON request with a raw body; never throws. */
async function rawJson(pool: Pool, token: string, path: string, body: string): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await pool.request({
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
    return {
      latency: performance.now() - t0,
      status: res.statusCode,
      policy: policyOf(res.headers['ratelimit-policy']),
    };
  } catch {
    return { latency: performance.now() - t0, status: 0 };
  }
}

/**
 * Open-loop GET /v1/org probes of the quiet org every 1/rps s, from `minMs` until `done()` says the
 * abuse has ended (and at most `maxMs`): a stalled server cannot slow the probes down.
 */
async function probeCheap(
  driver: Driver,
  quiet: Tenant,
  rps: number,
  minMs: number,
  maxMs: number,
  done: () => boolean,
): Promise<Sample[]> {
  const out: Sample[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    const elapsed = performance.now() - t0;
    if ((elapsed >= minMs && done()) || elapsed >= maxMs) break;
    pending.push(
      driver.send(0, ORG, quiet.token, i, { org: 'quiet', phase: 'probe' }).then((s) => void out.push(s)),
    );
    const next = t0 + ((i + 1) * 1000) / rps;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await Promise.all(pending);
  return out;
}

const QUIET_UPLOADS_PER_S = 1.5;

/**
 * Sequential quiet requests of a row's second measure (a small upload, a search): `n` of them, or
 * while `done()` is false (at least one), bounded by `maxMs`.
 */
async function quietUploads(
  send: () => Promise<Answer>,
  opts: { n?: number; done?: () => boolean; maxMs: number },
) {
  const out: Answer[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < opts.maxMs) {
    const started = performance.now();
    out.push(await send());
    if (opts.n !== undefined ? out.length >= opts.n : opts.done!()) break;
    // Paced like a person (at most QUIET_UPLOADS_PER_S), so a sustained abuse never drives the
    // quiet org past its own ocr policy (120 a minute): its answers measure the engines, not its quota.
    const wait = started + 1000 / QUIET_UPLOADS_PER_S - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return out;
}

/** The quiet org's second measure, besides GET /v1/org: a request of the kind the row abuses. */
type QuietSecond = 'small OCR upload' | 'one-line PDF upload' | 'small HTML upload' | 'private search';

const QUIET_SENDS: Record<QuietSecond, (pool: Pool, token: string) => Promise<Answer>> = {
  'small OCR upload': (pool, token) => upload(pool, token, smallPng(), 'hello.png', 'image/png'),
  'one-line PDF upload': (pool, token) => upload(pool, token, oneLinePdf(), 'hello.pdf', 'application/pdf'),
  'small HTML upload': (pool, token) => upload(pool, token, Buffer.from(SMALL_HTML), 'hello.html', 'text/html'),
  'private search': (pool, token) =>
    rawJson(pool, token, '/v1/search/private', JSON.stringify({ query: 'rain along the coast' })),
};

/** Which rows measure the quiet org's own request too, and which. */
const QUIET_SECOND: Partial<Record<Row, QuietSecond>> = {
  [Row.Ocr]: 'small OCR upload',
  [Row.OcrTwoOrgs]: 'small OCR upload',
  [Row.Pdf]: 'one-line PDF upload',
  [Row.PdfBombs]: 'one-line PDF upload',
  [Row.PdfTwoOrgs]: 'one-line PDF upload',
  [Row.PdfSlowPages]: 'one-line PDF upload',
  [Row.HtmlTwoOrgs]: 'small HTML upload',
  [Row.LongEmbeddings]: 'private search',
  [Row.HybridText]: 'private search',
};

export interface RunOptions {
  /** Called with a line of progress (the bench prints it; tests ignore it). */
  log?: (line: string) => void;
}

/** One row: the quiet org alone, then during the abuse, and what the noisy side got. */
export async function runRow(
  ctx: FairShareCtx,
  row: Row,
  scale: Scale,
  opts: RunOptions = {},
): Promise<RowResult> {
  const log = opts.log ?? (() => undefined);
  const quietDriver = new Driver([ctx.url], performance.now(), 16);
  const quietUploadPool = new Pool(ctx.url, {
    connections: 2,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  let abuseThread: AbuseThread | undefined;
  try {
    const second = QUIET_SECOND[row];
    const quietFile = second && (() => QUIET_SENDS[second](quietUploadPool, ctx.quiet.token));

    // The large item is stored (and its embed job settled) before the alone phase: the row
    // measures reading it, not storing it.
    if (row === Row.LargeItemReads) {
      const bytes = Math.min(scale.largeItem.htmlBytes, ctx.uploadMaxBytes);
      ctx = { ...ctx, largeItemId: await storeLargeItem(ctx.noisy, bytes, quietUploadPool) };
      await settle(ctx, 120_000); // its embed job
    }
    if (row === Row.ThreadPages) {
      const { messages, chars } = scale.threadPages!;
      ctx = { ...ctx, longThreadId: await storeLongThread(ctx.noisy, messages, chars, quietUploadPool) };
    }
    if (row === Row.HybridText) {
      if (!ctx.ownerUrl) throw new Error('row hybrid-text needs ctx.ownerUrl');
      await storeTextCorpus(ctx, scale.hybridText!.chunks, scale.hybridText!.words);
    }
    if (row === Row.Publishes) {
      if (!ctx.ownerUrl) throw new Error('row publishes needs ctx.ownerUrl');
      ctx = {
        ...ctx,
        publishItemIds: await storePublishItems(ctx, scale.publishes!.items, scale.publishes!.chunks),
      };
    }

    // ---- alone
    const cheapAlone = await probeCheap(
      quietDriver,
      ctx.quiet,
      scale.cheapRps,
      scale.aloneMs,
      scale.aloneMs,
      () => true,
    );
    const uploadAlone = quietFile
      ? await quietUploads(quietFile, {
          n: scale.quietUploadsAlone,
          maxMs: scale.maxDuringMs,
        })
      : undefined;

    // ---- during
    const gcBefore = await majorGc(ctx);
    abuseThread = startAbuseThread(ctx, row, scale);
    const { abuse } = await abuseThread.started;
    log(`  ${ROW_TITLES[row]}: ${abuse}`);
    let finished = false;
    const t0 = performance.now();
    const running = abuseThread.done.finally(() => (finished = true));
    // At least as long as alone, so both p95s are read from about as many samples: a one-shot burst
    // over 500 ms gave 25, its p95 the second highest, one stall from failing (row (a2) in CI).
    const cheap = probeCheap(
      quietDriver,
      ctx.quiet,
      scale.cheapRps,
      scale.aloneMs,
      scale.maxDuringMs,
      () => finished,
    );
    // Give the abuse a moment to reach the server before the quiet upload queues behind it.
    const uploads = quietFile
      ? new Promise((r) => setTimeout(r, 200)).then(() =>
          quietUploads(quietFile, {
            done: () => finished,
            maxMs: scale.maxDuringMs,
          }),
        )
      : Promise.resolve(undefined);
    const [{ samples: noisySamples, notSent }, cheapDuring, uploadDuring] = await Promise.all([
      running,
      cheap,
      uploads,
    ]);
    const abuseMs = performance.now() - t0;
    const gcAfter = gcBefore && (await majorGc(ctx));
    return {
      row,
      abuse,
      cheapAlone: latencies(cheapAlone),
      cheapDuring: latencies(cheapDuring),
      uploadWhat: second,
      uploadAlone: uploadAlone && latencies(uploadAlone),
      uploadDuring: uploadDuring && latencies(uploadDuring),
      noisy: counts(noisySamples, notSent),
      statuses: statusesOf(noisySamples),
      unlimited2xx: noisySamples.filter((x) => x.status >= 200 && x.status < 300 && !x.policy).length,
      abuseMs,
      majorGc:
        gcBefore && gcAfter
          ? { count: gcAfter.count - gcBefore.count, pauseMs: gcAfter.pauseMs - gcBefore.pauseMs }
          : undefined,
    };
  } finally {
    await Promise.all([quietDriver.close(), quietUploadPool.close(), abuseThread?.terminate()]);
  }
}

type AbuseSample = { status: number; latency: number; policy?: string };

interface AbuseThread {
  /** The abuse, described, once its inputs are built and it is about to be sent. */
  started: Promise<{ abuse: string }>;
  done: Promise<{ samples: AbuseSample[]; notSent: number }>;
  terminate(): Promise<void>;
}

/**
 * The noisy side runs on a thread of its own (abuse-worker.ts): building and sending megabytes of
 * uploads or 300 requests a second on this thread's event loop would delay the quiet org's probes
 * in the load generator itself, and the ratio would measure the generator instead of the service.
 * From source (vitest) the thread runs the compiled module in dist/, which the global setup builds.
 */
function startAbuseThread(ctx: FairShareCtx, row: Row, scale: Scale): AbuseThread {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts')
    ? join(dirname(here), '..', '..', '..', 'dist', 'test', 'support', 'load', 'abuse-worker.js')
    : join(dirname(here), 'abuse-worker.js');
  const worker = new Worker(file, { workerData: { ctx, row, scale } });
  let onStarted!: (v: { abuse: string }) => void;
  const started = new Promise<{ abuse: string }>((resolve) => (onStarted = resolve));
  const done = new Promise<{ samples: AbuseSample[]; notSent: number }>((resolve, reject) => {
    worker.on(
      'message',
      (m: { type: 'started'; abuse: string } | { type: 'done'; samples: AbuseSample[]; notSent: number }) => {
        if (m.type === 'started') onStarted({ abuse: m.abuse });
        else resolve({ samples: m.samples, notSent: m.notSent });
      },
    );
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the abuse thread exited with ${code} before it finished`)),
    );
  });
  // a thread that fails before it starts fails `started` too
  done.catch(() => undefined);
  const startedOrFailed = Promise.race([started, done.then(() => started)]);
  return {
    started: startedOrFailed,
    done,
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** Runs one row's abuse on this thread (the abuse thread's body): its own driver and pool. */
export async function runAbuse(
  ctx: FairShareCtx,
  row: Row,
  scale: Scale,
  onStart: (abuse: string) => void,
): Promise<{ samples: AbuseSample[]; notSent: number }> {
  const driver = new Driver([ctx.url], performance.now(), 128);
  const pool = new Pool(ctx.url, { connections: 32, headersTimeout: 120_000, bodyTimeout: 120_000 });
  try {
    const { abuse, start, notSent, setup, teardown } = abuseOf(ctx, row, scale, driver, pool);
    const sustainMs = scale.sustainMs ?? 0;
    onStart(
      sustainMs > 0 ? `${abuse}, sent again until ${(sustainMs / 1000).toFixed(0)} s had passed` : abuse,
    );
    const t0 = performance.now();
    const samples: AbuseSample[] = [];
    let dropped = 0;
    // The policy change is part of the abuse (inside the measured window), as it always was.
    await setup?.();
    try {
      do {
        samples.push(...(await start()));
        dropped += notSent?.() ?? 0;
      } while (performance.now() - t0 < sustainMs);
    } finally {
      await teardown?.();
    }
    return { samples, notSent: dropped };
  } finally {
    await Promise.all([driver.close(), pool.close()]);
  }
}

type Abuse = {
  abuse: string;
  /** Before the first sending and after the last (not around each repetition). */
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  start: () => Promise<{ status: number; latency: number; policy?: string }[]>;
  notSent?: () => number;
};

/** `n` tasks, `concurrency` at a time. */
async function lanes<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(n, concurrency)) }, async () => {
      while (next < n) out.push(await task(next++));
    }),
  );
  return out;
}

function abuseOf(ctx: FairShareCtx, row: Row, scale: Scale, driver: Driver, pool: Pool): Abuse {
  const meta = { org: 'noisy', phase: row };
  switch (row) {
    case Row.MarketNoOrg: {
      const { requests, concurrency } = scale.market;
      return {
        abuse: `${requests} POST /v1/search/market by a user with no org, ${concurrency} at a time`,
        start: () => driver.burst(market('fair queues'), ctx.orphan.token, requests, concurrency, meta),
      };
    }
    case Row.MarketOrgLimit: {
      const { requests, limit, windowS } = scale.marketOrgLimit;
      return {
        abuse: `noisy org's api policy set to ${limit}/${windowS}s, then ${requests} POST /v1/search/market at once by its member (no org claim, no X-Org-Id)`,
        setup: () => setLimits(ctx, { api: { limit, window_s: windowS } }),
        teardown: () => setLimits(ctx, { api: null }),
        start: () => driver.burst(market('limited'), ctx.noisyNoClaim.token, requests, requests, meta),
      };
    }
    case Row.JsonDepth: {
      const { requests, concurrency } = scale.json;
      const bytes = ctx.bodyLimitBytes - 1024;
      const body = nestedJson(bytes);
      return {
        abuse: `${requests} POST /v1/threads with ${(bytes / 1024).toFixed(0)} KiB of nested JSON arrays, ${concurrency} at a time`,
        start: () => lanes(requests, concurrency, () => rawJson(pool, ctx.noisy.token, '/v1/threads', body)),
      };
    }
    case Row.HtmlUpload: {
      // The file part may not exceed the upload limit; leave room for nothing else (one part).
      const bytes = Math.min(scale.htmlBytes, ctx.uploadMaxBytes);
      const html = heavyHtml(bytes);
      return {
        abuse: `one HTML upload of ${(html.length / 1048576).toFixed(2)} MiB (${html.length} bytes; upload limit ${ctx.uploadMaxBytes})`,
        start: async () => [await upload(pool, ctx.noisy.token, html, 'report.html', 'text/html')],
      };
    }
    case Row.Ocr: {
      const { uploads, lines, chars, scale: s } = scale.ocr;
      const images = Array.from({ length: uploads }, (_, i) => densePng(lines, chars, s, i + 1));
      return {
        abuse: `${uploads} dense PNG uploads at once (${lines} lines x ${chars} chars, ${images[0].length} bytes each)`,
        start: () =>
          Promise.all(
            images.map((img, i) => upload(pool, ctx.noisy.token, img, `scan-${i}.png`, 'image/png')),
          ),
      };
    }
    case Row.Pdf: {
      const { uploads, pages, linesPerPage } = scale.pdf;
      const pdfs = Array.from({ length: uploads }, (_, i) => heavyPdf(pages, linesPerPage, i + 1));
      return {
        abuse: `${uploads} PDF uploads at once (${pages} pages x ${linesPerPage} lines, ${(pdfs[0].length / 1048576).toFixed(1)} MiB each)`,
        // Within the org's quota (the row is about the parser, not the ocr policy: a retried row
        // would otherwise find the bucket spent and measure no abuse at all).
        setup: () => setLimits(ctx, { ocr: { limit: 100_000, window_s: 60 } }),
        teardown: () => setLimits(ctx, { ocr: null }),
        start: () =>
          Promise.all(
            pdfs.map((pdf, i) => upload(pool, ctx.noisy.token, pdf, `report-${i}.pdf`, 'application/pdf')),
          ),
      };
    }
    case Row.PdfBombs: {
      const bomb = inflatingPdf(16 * 1024);
      return {
        abuse: `3 PDF uploads at once of ${(bomb.length / 1024).toFixed(0)} KiB whose content stream inflates to 16 GiB`,
        setup: () => setLimits(ctx, { ocr: { limit: 100_000, window_s: 60 } }),
        teardown: () => setLimits(ctx, { ocr: null }),
        start: () =>
          Promise.all(
            [0, 1, 2].map((i) => upload(pool, ctx.noisy.token, bomb, `bomb-${i}.pdf`, 'application/pdf')),
          ),
      };
    }
    case Row.OcrTwoOrgs:
    case Row.HtmlTwoOrgs:
    case Row.PdfTwoOrgs:
    case Row.PdfSlowPages: {
      // two orgs hold every slot of the engine (its spare included): the quiet org's file waits for a turn
      const second = ctx.noisy2;
      if (!second) throw new Error(`row ${row} needs ctx.noisy2`);
      const files = twoOrgFiles(row, scale, ctx.uploadMaxBytes);
      const unlimited = { ocr: { limit: 100_000, window_s: 60 } };
      const both = (policies: Record<string, { limit: number; window_s: number } | null>) =>
        Promise.all([setLimits(ctx, policies), setLimits(ctx, policies, second.org)]).then(() => undefined);
      return {
        abuse: `two orgs, each ${files.length} ${row === Row.OcrTwoOrgs ? 'dense image' : row === Row.HtmlTwoOrgs ? 'HTML' : 'PDF'} uploads at once (${(files[0].data.length / 1024).toFixed(0)} KiB each)`,
        setup: () => both(unlimited),
        teardown: () => both({ ocr: null }),
        // The first org's files go first and take every slot; the second org's follow half a second
        // later and take the spare: the order in which two orgs hold the whole engine.
        start: async () => {
          const send = (t: Tenant) => files.map((f) => upload(pool, t.token, f.data, f.name, f.mime));
          const first = send(ctx.noisy);
          await new Promise((r) => setTimeout(r, 500));
          return Promise.all([...first, ...send(second)]);
        },
      };
    }
    case Row.LargeItemReads: {
      const { requests, concurrency } = scale.largeItem;
      const id = ctx.largeItemId!;
      return {
        abuse: `${requests} GET /v1/knowledge/:id of an item with ${(scale.largeItem.htmlBytes / 1048576).toFixed(0)} MiB of sanitised HTML, ${concurrency} at a time`,
        start: () =>
          lanes(requests, concurrency, () => readWhole(pool, ctx.noisy.token, `/v1/knowledge/${id}`)),
      };
    }
    case Row.ThreadPages: {
      const { messages, chars, requests, concurrency } = scale.threadPages!;
      const id = ctx.longThreadId!;
      return {
        abuse: `${requests} GET /v1/threads/:id/messages?limit=100 of a thread of ${messages} messages of ${chars.toLocaleString('en')} characters (${((chars * 3) / 1e3).toFixed(0)} KB each), ${concurrency} at a time`,
        start: () =>
          lanes(requests, concurrency, () =>
            readWhole(pool, ctx.noisy.token, `/v1/threads/${id}/messages?limit=100`),
          ),
      };
    }
    case Row.LargeBodies: {
      const { chars, requests, concurrency } = scale.largeBodies!;
      const body = JSON.stringify({ role: 'user', content: '中'.repeat(chars) });
      let thread = '';
      return {
        abuse: `${requests} POST /v1/threads/:id/messages of ${chars.toLocaleString('en')} characters (${(Buffer.byteLength(body) / 1e3).toFixed(0)} KB), ${concurrency} at a time, within the api quota`,
        setup: async () => {
          const res = await pool.request({
            method: 'POST',
            path: '/v1/threads',
            headers: { authorization: `Bearer ${ctx.noisy.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ title: 'large bodies' }),
          });
          const text = await res.body.text();
          if (res.statusCode !== 201)
            throw new Error(`row large-bodies: POST /v1/threads answered ${res.statusCode} ${text}`);
          thread = (JSON.parse(text) as { id: string }).id;
        },
        start: () =>
          lanes(requests, concurrency, () =>
            rawJson(pool, ctx.noisy.token, `/v1/threads/${thread}/messages`, body),
          ),
      };
    }
    case Row.TtsStreams: {
      const { chars, requests, concurrency } = scale.ttsStreams!;
      const body = JSON.stringify({
        text: textOf('The tide came in slowly over the flat grey sand, and the gulls rose as one. ', chars),
      });
      return {
        abuse: `${requests} POST /v1/tts of ${chars.toLocaleString('en')} characters (the longest allowed), ${concurrency} at a time, each answer read to its end`,
        start: () => lanes(requests, concurrency, () => rawJson(pool, ctx.noisy.token, '/v1/tts', body)),
      };
    }
    case Row.LongEmbeddings: {
      const { inputs, chars, requests, concurrency } = scale.longEmbeddings!;
      const words = 'the quick brown fox jumps over the lazy dog while rain falls on the coast ';
      const body = JSON.stringify({
        input: Array(inputs).fill(textOf(words, chars)),
      });
      return {
        abuse: `${requests} POST /v1/embeddings of ${inputs} inputs of ${chars.toLocaleString('en')} characters (the longest allowed), ${concurrency} at a time`,
        start: () =>
          lanes(requests, concurrency, () => rawJson(pool, ctx.noisy.token, '/v1/embeddings', body)),
      };
    }
    case Row.HybridText: {
      const { chunks, words, requests, concurrency } = scale.hybridText!;
      const body = JSON.stringify({ query: CRAFTED_PHRASE, k: 10, mode: 'hybrid' });
      return {
        abuse: `${requests} POST /v1/search/private {"mode":"hybrid","query":${JSON.stringify(CRAFTED_PHRASE)}} over ${chunks.toLocaleString('en')} chunks of ${words} words (each holds the words, never in that order), ${concurrency} at a time`,
        // within the org's quota: the row is about the database, not the search policy
        setup: () => setLimits(ctx, { search: { limit: 100_000, window_s: 60 } }),
        teardown: () => setLimits(ctx, { search: null }),
        start: () =>
          lanes(requests, concurrency, () => rawJson(pool, ctx.noisy.token, '/v1/search/private', body)),
      };
    }
    case Row.Publishes: {
      const { items, chunks, requests, concurrency } = scale.publishes!;
      const ids = ctx.publishItemIds!;
      return {
        abuse: `${requests} POST /v1/knowledge/:id/publish of ${items} items of ${chunks.toLocaleString('en')} chunks, each followed by DELETE of the org's listings (so every publish copies), ${concurrency} at a time`,
        start: () =>
          lanes(requests, concurrency, (i) => publishAndWithdraw(pool, ctx.noisy.token, ids[i % ids.length])),
      };
    }
    case Row.FloorPostgres: {
      // One backend busy 10 ms then idle 10 ms, on a connection of its own: CPU the service's
      // admission, turns and engines never see, as a heavy org's queries would be if they escaped them.
      let client: pg.Client | undefined;
      return {
        abuse:
          'a direct Postgres connection (the owner role) running 10 ms of busy PL/pgSQL every 20 ms: half a core of Postgres time, no request to the service',
        setup: async () => {
          client = new pg.Client({ connectionString: ctx.ownerUrl });
          await client.connect();
        },
        teardown: async () => void (await client?.end()),
        start: async () => {
          const end = performance.now() + 1000;
          while (performance.now() < end) {
            await client!.query(
              `DO $$ DECLARE t timestamptz := clock_timestamp(); BEGIN WHILE clock_timestamp() - t < interval '10 ms' LOOP END LOOP; END $$`,
            );
            await new Promise((r) => setTimeout(r, 10));
          }
          return [];
        },
      };
    }
    case Row.FloorNone:
      // The "during" phase with nothing in it: the spread of the measurement itself.
      return {
        abuse: 'nothing (a second quiet phase)',
        start: async () => {
          await new Promise((r) => setTimeout(r, 1000));
          return [];
        },
      };
    case Row.FloorNiced:
    case Row.FloorIdle: {
      // The service's engine threads run at ENGINE_NICE (10); SCHED_IDLE is the lowest priority
      // Linux has (any other task preempts it at once): two loops, one per core, for a second each.
      const [how, prio] =
        row === Row.FloorNiced
          ? ['at nice 10 (ENGINE_NICE)', ['nice', '-n', '10']]
          : ['under SCHED_IDLE', ['chrt', '--idle', '0']];
      return {
        abuse: `two shell busy loops ${how}, one per core, no request to the service`,
        start: async () => {
          await Promise.all(
            [0, 1].map(
              () =>
                new Promise<void>((resolve) =>
                  spawn('timeout', ['1', ...prio, 'sh', '-c', 'while :; do :; done'], {
                    stdio: 'ignore',
                  }).once('exit', () => resolve()),
                ),
            ),
          );
          return [];
        },
      };
    }
    case Row.ThreadsFlood:
    case Row.PostFlood: {
      const { rps, ms } = row === Row.ThreadsFlood ? scale.flood : (scale.postFlood ?? scale.flood);
      const route = row === Row.ThreadsFlood ? THREADS : NEW_THREAD;
      let dropped = 0;
      return {
        notSent: () => dropped,
        abuse: `${route.name} at ${rps} req/s for ${(ms / 1000).toFixed(0)} s (${Math.round((rps * ms) / 1000)} requests, within the default api quota)`,
        start: async () => {
          const r = await driver.run({
            org: 'noisy',
            phase: row,
            route,
            rate: rps,
            durationMs: ms,
            maxRequests: Math.round((rps * ms) / 1000),
            token: ctx.noisy.token,
            maxInFlight: 1024,
          });
          dropped = r.dropped;
          return r.samples;
        },
      };
    }
  }
}

async function setLimits(
  ctx: FairShareCtx,
  policies: Record<string, { limit: number; window_s: number } | null>,
  org = ctx.noisy.org,
): Promise<void> {
  const res = await fetch(`${ctx.url}/v1/admin/orgs/${org}/limits`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ctx.admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(policies),
  });
  if (!res.ok)
    throw new Error(
      `PUT /v1/admin/orgs/:orgId/limits answered ${res.status}: ${(await res.text()).slice(0, 300)}`,
    );
}

/**
 * First requests of a fresh process (JIT, pools, the embedding model, the OCR and PDF engines), so
 * that "alone" in the first row is not its warm-up.
 */
/** GET /v1/threads sent by the warm-up (the api policy's burst is 6,000). */
const WARM_THREADS = 400;
/** POST /v1/threads sent by the warm-up. */
const WARM_WRITES = 200;

export async function warmUp(ctx: FairShareCtx): Promise<void> {
  const pool = new Pool(ctx.url, { connections: 4, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const driver = new Driver([ctx.url], performance.now(), 4);
  try {
    const meta = { org: 'quiet', phase: 'warmup' };
    // The rows measure what the engines and the request path cost another org, not the noisy org's
    // embeddings bucket: embed jobs take from it (docs/limits.md), so at the default its upload
    // rows' embed jobs would wait minutes for it, and every row's settle with them.
    await setLimits(ctx, { embeddings: { limit: 1_000_000, window_s: 60 } });
    // The flood row's route, compiled before any row measures it: cold, its first few hundred
    // requests kept the event loop ~100% busy for half a second (the flood row's first attempt
    // measured that, 5-20x, and not the flood). The noisy org's, for its 200 threads' shape; well
    // within its api quota. First, while the noisy org is the only one asking: alone, admission
    // never sheds it.
    const threads = await lanes(WARM_THREADS, 4, (i) =>
      driver.send(0, THREADS, ctx.noisy.token, i, { org: 'noisy', phase: 'warmup' }),
    );
    const bad = threads.find((t) => t.status !== 200);
    if (bad) throw new Error(`warm-up: GET /v1/threads answered ${bad.status}`);
    // and the small-write flood row's route, for the same reason
    const writes = await lanes(WARM_WRITES, 4, (i) =>
      driver.send(0, NEW_THREAD, ctx.noisy.token, i, { org: 'noisy', phase: 'warmup' }),
    );
    const badWrite = writes.find((t) => t.status !== 201);
    if (badWrite) throw new Error(`warm-up: POST /v1/threads answered ${badWrite.status}`);
    for (let i = 0; i < 20; i++) await driver.send(0, ORG, ctx.quiet.token, i, meta);
    const m = await driver.send(0, market('warm up'), ctx.quiet.token, 0, meta);
    if (m.status !== 200) throw new Error(`warm-up: POST /v1/search/market answered ${m.status}`);
    for (const [data, name, mime] of [
      [smallPng(), 'warm.png', 'image/png'],
      [oneLinePdf(), 'warm.pdf', 'application/pdf'],
      [heavyHtml(4096), 'warm.html', 'text/html'],
    ] as const) {
      const r = await upload(pool, ctx.quiet.token, data, name, mime);
      if (r.status !== 201) throw new Error(`warm-up: upload of ${name} answered ${r.status}: ${r.detail}`);
    }
    // Row (g)'s path (slices, escaping, the streamed answer), compiled before the row measures it:
    // cold, the row's first attempt measured its compilation (7.7x and 7.85x in clean-clone CI
    // runs, later attempts 1.6x).
    const id = await storeLargeItem(ctx.quiet, 1024 * 1024, pool);
    for (let i = 0; i < 3; i++) {
      const r = await readWhole(pool, ctx.quiet.token, `/v1/knowledge/${id}`);
      if (r.status !== 200) throw new Error(`warm-up: GET of a large item answered ${r.status}`);
    }
  } finally {
    await Promise.all([pool.close(), driver.close()]);
  }
}

/**
 * Between rows: the noisy org's queued ingest jobs (the uploads' embed jobs) are cancelled, then
 * the running ones of both orgs are awaited, at most `maxMs`. Returns how many still run.
 */
export async function settle(ctx: FairShareCtx, maxMs: number): Promise<number> {
  const list = async (t: Tenant, status: string) => {
    const r = await fetch(`${ctx.url}/v1/ingest/jobs?status=${status}&limit=100`, {
      headers: { authorization: `Bearer ${t.token}` },
    });
    return r.ok ? ((await r.json()) as { data: { id: string }[] }).data : [];
  };
  for (const job of await list(ctx.noisy, 'queued')) {
    await fetch(`${ctx.url}/v1/ingest/jobs/${job.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.noisy.token}` },
    });
  }
  const deadline = Date.now() + maxMs;
  for (;;) {
    const running =
      (await list(ctx.noisy, 'running')).length +
      (await list(ctx.quiet, 'running')).length +
      (await list(ctx.quiet, 'queued')).length;
    if (running === 0 || Date.now() > deadline) return running;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Deletes every Redis key under `prefix` (a run's own prefix); best effort, bounded by Redis answering. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 }))
      if ((keys as string[]).length) await redis.del(...(keys as string[]));
  } catch {
    /* the keys stay under the run's unique prefix */
  } finally {
    redis.disconnect();
  }
}
