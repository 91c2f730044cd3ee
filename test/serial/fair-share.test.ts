import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  dropRedisPrefix,
  ratio,
  Row,
  runRow,
  settle,
  startService,
  warmUp,
  type FairShareCtx,
  type RowResult,
  type Scale,
  type Service,
} from '../support/load/fair-share.js';
import { asOrg, createTestDb, type TestDb } from '../support/db.js';
import { TEST_ENV_VARS } from '../support/env.js';
import { dbUrl } from '../support/urls.js';
import { addMember, createOrg, createUser, tokenFor } from '../support/fixtures.js';

/**
 * Issue 15's table, one test per row: one org (or a user with no org) does the expensive thing
 * while a second org on the same all-in-one process is measured on GET /v1/org (and, for OCR and
 * PDF, on its own small upload of that kind). The second org's p95 during the abuse stays within
 * BOUND (HTML_BOUND and LARGE_READ_BOUND in those rows) times its p95 alone, measured in the same test; the abuser's
 * excess is refused (429) or its bad input refused with a 4xx; nothing is 5xx. Exact figures:
 * npm run bench:fair-share.
 * Serial project: these run alone, one file at a time (a latency ratio beside other suites
 * measures them, not the service). The box is shared and small: ratios can flake under load.
 */

const root = join(import.meta.dirname, '..', '..');
const BOUND = 3;
/**
 * The HTML row's bound. Each 4 MiB upload costs the service's main thread a garbage collection or
 * two (docs/performance.md, row (c)), and a p95 over the ~50 probes of one upload is decided by the
 * few that meet one: its tries measured 1.1–6.0× on this 2-core box (2026-12-04, four runs, two of
 * them in clean-clone CI, where 2 of 4 first tries missed 3×). What the row must catch is the loop
 * held by sanitising, which the issue measured as an 11.7 s stall: a ratio in the thousands.
 */
const HTML_BOUND = 4;
/**
 * The large-item row's bound. Every answer is megabytes that Postgres converts and sends and the
 * event loop escapes and writes, on the two cores the quiet org's requests need: this row's tries
 * measured 1.05x, 4.05x, 5.6x (2026-12-04, bound lifted), and its first try 7.7x and 7.85x in two
 * clean-clone CI runs (later tries 1.6x). With the large-answer path warmed up first (warmUp) the
 * first tries measured 3.98x and 4.28x, the later ones 1.45-1.96x; bench:fair-share's sustained
 * row (g) 2.11x and 2.25x. What the row must catch is the item
 * read whole (538x); one org's reads four at once (5.5-9.1x here) are caught by
 * src/common/admission/answer-slots.spec.ts and the admission turns e2e test, which do not depend on timing.
 */
const LARGE_READ_BOUND = 8;
const UPLOAD_MAX_BYTES = 4 * 1024 * 1024;
const BODY_LIMIT_BYTES = 1024 * 1024;
const PREFIX = `fair${randomBytes(4).toString('hex')}`;

/**
 * bench:fair-share's rows, smaller. The quiet org probes at 50 req/s: a one-shot abuse lasts about a
 * second, and at 20 req/s its p95 was over a dozen samples, the second-highest of them, so one
 * main-thread garbage collection (16-22 ms on this box) decided a row.
 */
const SCALE: Scale = {
  aloneMs: 2000,
  cheapRps: 50,
  maxDuringMs: 60_000,
  quietUploadsAlone: 2,
  market: { requests: 32, concurrency: 8 },
  marketOrgLimit: { requests: 15, limit: 5, windowS: 60 },
  json: { requests: 8, concurrency: 4 },
  htmlBytes: UPLOAD_MAX_BYTES,
  ocr: { uploads: 3, lines: 16, chars: 60, scale: 2 },
  pdf: { uploads: 2, pages: 100, linesPerPage: 60 },
  flood: { rps: 200, ms: 4000 },
  largeItem: { htmlBytes: UPLOAD_MAX_BYTES, requests: 8, concurrency: 4 },
};

/**
 * The test environment minus what it turns off for functional suites: admission by event-loop
 * load, the engines' lower priority, the per-org job rate, the pacing of refusals and the limit on
 * refused bodies run at their shipped defaults here.
 */
const PRODUCTION_DEFAULTS = Object.fromEntries(
  Object.entries(TEST_ENV_VARS).filter(
    ([k]) =>
      ![
        'ADMISSION_MAX_LAG_MS',
        'ADMISSION_MAX_UTILIZATION',
        'ADMISSION_MAX_SLOWDOWN',
        'ENGINE_NICE',
        'INGEST_ORG_RATE',
        'PARSE_WARM_THREADS',
        'RATE_LIMIT_REFUSAL_PACE_MS',
        'RATE_LIMIT_BAD_BODIES',
      ].includes(k),
  ),
);

const show = (r: RowResult) => JSON.stringify(r, null, 1);

describe('fair share on one process (issue 15: one org cannot slow another)', () => {
  let db: TestDb;
  let service: Service | undefined;
  let ctx: FairShareCtx;

  beforeAll(async () => {
    db = await createTestDb();
    // The suites before this file leave many dirty pages (bulk fixtures of hundreds of thousands of
    // rows): flushed now, the checkpointer's writes do not land inside a row's measurement.
    await db.pool(dbUrl(db.name, 'postgres'), 1).query('CHECKPOINT');
    const quiet = await createOrg(db.owner, 'quiet');
    const noisy = await createOrg(db.owner, 'noisy');
    const quietOwner = await createUser(db.owner);
    const noisyOwner = await createUser(db.owner);
    const noisyMember = await createUser(db.owner);
    const orphan = await createUser(db.owner);
    const admin = await createUser(db.owner, { superAdmin: true });
    await addMember(db.owner, quiet, quietOwner, 'owner');
    await addMember(db.owner, noisy, noisyOwner, 'owner');
    await addMember(db.owner, noisy, noisyMember, 'member');
    await asOrg(db.owner, noisy.id, (c) =>
      c.query(
        `INSERT INTO rocker_threads (org_id, title, created_by) SELECT $1, 'thread ' || g, $2 FROM generate_series(1, 200) g`,
        [noisy.id, noisyOwner.id],
      ),
    );
    // dist/ is built by the global setup: the service runs compiled, as in production.
    service = await startService(join(root, 'dist', 'test', 'support', 'servers', 'all-in-one.js'), {
      ...PRODUCTION_DEFAULTS,
      DATABASE_URL: db.appUrl,
      DATABASE_WORKER_URL: db.workerUrl,
      DATABASE_OWNER_URL: db.ownerUrl,
      REDIS_PREFIX: PREFIX,
      UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES),
      BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES),
    });
    ctx = {
      url: service.url,
      quiet: { org: quiet.id, token: await tokenFor(quietOwner, { orgId: quiet.id }) },
      noisy: { org: noisy.id, token: await tokenFor(noisyOwner, { orgId: noisy.id }) },
      orphan: { org: '', token: await tokenFor(orphan) },
      noisyNoClaim: { org: noisy.id, token: await tokenFor(noisyMember) },
      admin: { org: '', token: await tokenFor(admin) },
      uploadMaxBytes: UPLOAD_MAX_BYTES,
      bodyLimitBytes: BODY_LIMIT_BYTES,
    };
    await warmUp(ctx);
    await settle(ctx, 15_000);
  }, 300_000);

  // The uploads' embed jobs must not run into the next test's "alone".
  afterEach(async () => {
    if (service) await settle(ctx, 15_000);
  }, 30_000);

  /**
   * One attempt at a row, on a settled service: a retried attempt must not measure the embed job
   * its own previous attempt left running (a large upload's runs for tens of seconds).
   */
  const measure = async (row: Row) => {
    await settle(ctx, 60_000);
    return runRow(ctx, row, SCALE);
  };

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
    await dropRedisPrefix(TEST_ENV_VARS.REDIS_URL, PREFIX);
  }, 60_000);

  /** The measured org's latency bound and the never-5xx rule, common to every row. */
  const expectFair = (r: RowResult, bound = BOUND) => {
    // one line per attempt, so a retried row's first figures are in the output too
    const f = (x?: { p95: number }) => (x ? x.p95.toFixed(1) : '-');
    console.log(
      `${r.row}: quiet GET /v1/org p95 ${f(r.cheapAlone)} -> ${f(r.cheapDuring)} ms` +
        (r.uploadAlone ? `, quiet upload p95 ${f(r.uploadAlone)} -> ${f(r.uploadDuring)} ms` : '') +
        `, noisy ${JSON.stringify(r.statuses)}`,
    );
    expect(r.cheapAlone.failed + r.cheapDuring.failed, `the quiet org got non-2xx answers\n${show(r)}`).toBe(
      0,
    );
    expect(
      ratio(r.cheapDuring, r.cheapAlone),
      `quiet GET /v1/org p95 during / alone\n${show(r)}`,
    ).toBeLessThanOrEqual(bound);
    if (r.uploadAlone && r.uploadDuring) {
      expect(r.uploadAlone.failed + r.uploadDuring.failed, `the quiet org's uploads failed\n${show(r)}`).toBe(
        0,
      );
      expect(
        ratio(r.uploadDuring, r.uploadAlone),
        `quiet upload p95 during / alone\n${show(r)}`,
      ).toBeLessThanOrEqual(BOUND);
    }
    expect(r.noisy.server5xx + r.noisy.errors, `the abuser got 5xx or no answer\n${show(r)}`).toBe(0);
  };

  // A latency ratio over a few seconds on a 2-core box shared with the load generator: one stall
  // can decide a p95 of a dozen samples, so each row gets two more tries before it fails. Every
  // row measured below the bound on this box with the shipped defaults (2026-12-02, five runs).
  const ROW = { retry: 2, timeout: 300_000 };

  it('market search by a user with no org is limited per user, and another org does not notice', ROW, async () => {
    const r = await measure(Row.MarketNoOrg);
    expectFair(r);
    expect(r.unlimited2xx, `market search admitted without the limiter\n${show(r)}`).toBe(0);
  });

  it("market search by a single-org user without X-Org-Id is held to that org's api policy", ROW, async () => {
    const r = await measure(Row.MarketOrgLimit);
    expectFair(r);
    expect(r.noisy.ok2xx, show(r)).toBeLessThanOrEqual(SCALE.marketOrgLimit.limit);
    expect(r.noisy.limited429, show(r)).toBe(SCALE.marketOrgLimit.requests - r.noisy.ok2xx);
  });

  it('deeply nested JSON bodies are refused (400, then 429 once their user has spent its refused bodies) and do not stall another org', ROW, async () => {
    const r = await measure(Row.JsonDepth);
    expectFair(r);
    expect(r.noisy.other4xx + r.noisy.limited429, show(r)).toBe(SCALE.json.requests);
    expect(r.noisy.other4xx, show(r)).toBeGreaterThan(0);
  });

  it('a large HTML upload is sanitised off the event loop: another org does not notice', ROW, async () => {
    const r = await measure(Row.HtmlUpload);
    expectFair(r, HTML_BOUND);
    expect(r.noisy.ok2xx + r.noisy.limited429 + r.noisy.other4xx, show(r)).toBe(1);
  });

  it("dense image uploads take the abuser's share of the OCR slots, not the other org's", ROW, async () => {
    const r = await measure(Row.Ocr);
    expectFair(r);
  });

  // Gated again since the service runs with a 2 x 32 MB young generation (src/config/node-flags.ts):
  // before, Node's 2 x 64 MB kept V8 marking the main heap, and the row's first attempt missed 3x
  // on most runs (3.6-7x; skipped then). 2026-12-03, idle machine: first attempts 1.0, 1.4, 1.9,
  // 2.3, 4.2 and 4.5x, and every run passed within its retries, alone (four runs) and after the
  // noisy-neighbour suite as CI runs it. Two 100-page PDFs still keep both cores busy in the niced
  // parser threads and the chunk and embed work behind them (docs/performance.md, "Where row (e)
  // still reaches the quiet org").
  it("heavy PDFs wait in the abuser's queue, not in front of another org's one-line PDF", ROW, async () => {
    const r = await measure(Row.Pdf);
    expectFair(r);
    expect(r.noisy.ok2xx, `the heavy PDFs were not all parsed\n${show(r)}`).toBe(SCALE.pdf.uploads);
  });

  // Within the quota, nothing needs shedding: the flooding org, far over its share of the shared
  // instance, runs one request at a time (admission's turns) and the rest of its flood waits,
  // uncharged, so the other org's reads queue behind one of the flood's at most, not behind every
  // one in flight (docs/performance.md, "Turns": 1.5-1.65x over 10 s against 4-15x without).
  it('reading a large item over and over streams it a slice at a time and takes turns: another org does not notice', ROW, async () => {
    const r = await measure(Row.LargeItemReads);
    expectFair(r, LARGE_READ_BOUND);
    expect(r.noisy.ok2xx, show(r)).toBe(SCALE.largeItem.requests);
  });

  it('a within-quota flood of GET /v1/threads does not slow another org\'s requests', ROW, async () => {
    const r = await measure(Row.ThreadsFlood);
    expectFair(r);
    expect(r.noisy.other4xx, show(r)).toBe(0);
  });
});
