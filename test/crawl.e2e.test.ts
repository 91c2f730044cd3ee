import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { makePdf } from './support/files.js';
import { RecordingEnqueuer, startIntakeApp } from './support/intake.js';
import { TenantTransactions } from '../src/tenancy/tenant-context.js';
import { CrawlJobHandler } from '../src/modules/intake/crawl/crawl.handler.js';
import { JobKind, PermanentJobError, type JobPayloads } from '../src/modules/ingest/ingest.types.js';
import { runJobHandler } from '../src/modules/ingest/run-handler.js';
import { until } from './support/wait.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

const ARTICLE = `<!doctype html><html><head><title>Igneous rocks</title><script>track()</script></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav><article><h1>Igneous rocks</h1>
<p>Granite is an igneous rock made mostly of quartz, feldspar and mica. It forms when magma cools slowly underground.</p>
<p>Basalt is a fine-grained volcanic rock that forms from the rapid cooling of lava at the surface of a planet.</p>
<p>Obsidian is volcanic glass, formed when lava cools so quickly that crystals have no time to grow.</p>
</article><footer>Copyright footer</footer></body></html>`;

describe('crawl: POST /v1/crawl, {url} knowledge, and the crawl job handler', () => {
  let db: TestDb;
  let site: Server;
  let port: number;
  let t: Awaited<ReturnType<typeof startIntakeApp>>;
  let bare: Awaited<ReturnType<typeof startIntakeApp>>;
  let A: Tenant;
  const enqueuer = new RecordingEnqueuer();
  const siteHits: string[] = [];
  /** Answers held by /hold until the test lets them go (a client that gave up leaves the set). */
  const held = new Set<import('node:http').ServerResponse>();
  const holdSites: Server[] = [];

  beforeAll(async () => {
    site = createServer((req, res) => {
      siteHits.push(req.url ?? '');
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/article')
        return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ARTICLE);
      if (u.pathname === '/paper.pdf')
        return res
          .writeHead(200, { 'content-type': 'application/pdf' })
          .end(makePdf(1, ['Sedimentary rocks form in layers']));
      if (u.pathname === '/three.pdf')
        return res
          .writeHead(200, { 'content-type': 'application/pdf' })
          .end(makePdf(3, ['Chalk is soft', 'Flint is hard', 'Shale splits']));
      if (u.pathname === '/to-metadata')
        return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (u.pathname === '/to-internal')
        return res.writeHead(307, { location: `http://127.0.0.2:${port}/secret` }).end();
      if (u.pathname === '/exe')
        return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('MZ');
      if (u.pathname === '/down') return res.writeHead(503).end();
      if (u.pathname === '/gb18030')
        return res.writeHead(200, { 'content-type': 'text/plain; charset=gb18030' }).end(Buffer.from([0xbb, 0xa8, 0xb8, 0xda, 0xd1, 0xd2, 0x00, 0x20, 0x67])); // 花岗岩 NUL " g"
      if (u.pathname === '/latin1.html')
        return res.writeHead(200, { 'content-type': 'text/html; charset=iso-8859-1' }).end(Buffer.from(`<title>Caf\xe9</title><p>${'Pumice is a light volcanic rock from the caf\xe9 quarry. '.repeat(5)}</p>`, 'latin1'));
      if (u.pathname === '/long')
        return res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Gneiss is a banded metamorphic rock. '.repeat(200));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    port = (site.address() as AddressInfo).port;
    // three more origins whose pages are held until the test lets them go (the fetcher keeps at most 8 connections per origin)
    for (let i = 0; i < 3; i++) {
      const s = createServer((_req, res) => void (held.add(res), res.on('close', () => held.delete(res))));
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      holdSites.push(s);
    }
    db = await createTestDb();
    // The test allowlist: this loopback address and port only.
    const env = envFor(db.appUrl, db.ownerUrl, {
      CRAWL_ALLOW_CIDRS: '127.0.0.1/32',
      CRAWL_ALLOW_PORTS: [port, ...holdSites.map((h) => (h.address() as AddressInfo).port)].join(','),
      CRAWL_TIMEOUT_MS: '5000',
    });
    // The recording app runs no queue workers (ROCKER_ROLE=api): the real pipeline's jobs are bare's.
    t = await startIntakeApp({ ...env, ROCKER_ROLE: 'api' } as typeof env, enqueuer);
    bare = await startIntakeApp(env); // the real ingest pipeline
    A = await orgWithRoles(db.owner);
  });
  afterAll(async () => {
    await t?.close();
    await bare?.close();
    site?.closeAllConnections();
    await new Promise((r) => site?.close(r));
    for (const h of holdSites) {
      h.closeAllConnections();
      await new Promise((r) => h.close(r));
    }
    await db?.drop();
  });

  const auth = (r: request.Test, role: keyof Tenant['tokens'] = 'member') =>
    r.set('Authorization', `Bearer ${A.tokens[role]}`);
  const itemCount = async () =>
    (await asOrg(db.owner, A.org.id, (c) => c.query('SELECT count(*)::int AS n FROM knowledge_items')))
      .rows[0].n as number;
  const getItem = (id: string) =>
    asOrg(
      db.owner,
      A.org.id,
      async (c) => (await c.query('SELECT * FROM knowledge_items WHERE id = $1', [id])).rows[0],
    );
  const getItemOf = (org: Tenant, id: string) =>
    asOrg(db.owner, org.org.id, async (c) => (await c.query('SELECT * FROM knowledge_items WHERE id = $1', [id])).rows[0]);
  const runCrawl = (payload: JobPayloads[JobKind]) =>
    runJobHandler(
      t.nest.get(TenantTransactions),
      { requestId: 'crawl-test', userId: null, orgId: A.org.id, role: null, isSuperAdmin: false },
      t.nest.get(CrawlJobHandler),
      {
        jobId: 'job',
        orgId: A.org.id,
        kind: JobKind.Crawl,
        knowledgeItemId: payload.knowledge_item_id,
        payload: payload as JobPayloads[JobKind.Crawl],
        attempt: 1,
        work: `crawl-${payload.knowledge_item_id}`,
        requestId: null,
      },
    );
  const submit = async (path: string) => {
    const res = await auth(request(t.url).post('/v1/crawl'))
      .send({ url: `http://127.0.0.1:${port}${path}` })
      .expect(202);
    return { res, job: enqueuer.jobs.find((j) => j.id === res.body.job_id)! };
  };

  it('POST /v1/crawl → 202 {job_id}; the item is pending and the crawl job carries item and URL', async () => {
    const { res, job } = await submit('/article');
    expect(res.body).toEqual({ job_id: expect.any(String), knowledge_item_id: expect.any(String) });
    expect(job).toMatchObject({
      kind: JobKind.Crawl,
      payload: { knowledge_item_id: res.body.knowledge_item_id, url: `http://127.0.0.1:${port}/article` },
    });
    const item = await auth(request(t.url).get(`/v1/knowledge/${res.body.knowledge_item_id}`)).expect(200);
    expect(item.body).toMatchObject({
      source_kind: 'url',
      status: 'pending',
      source_url: `http://127.0.0.1:${port}/article`,
      content_text: null,
    });
  });

  it('the crawl handler stores the readable article text (no nav, no script) and asks for embedding; twice is harmless', async () => {
    const { res, job } = await submit('/article');
    await runCrawl(job.payload);
    const item = await getItem(res.body.knowledge_item_id);
    expect(item.content_text).toContain('Granite is an igneous rock');
    expect(item.content_text).toContain('Obsidian is volcanic glass');
    expect(item.content_text).not.toContain('track()');
    expect(item.title).toBe('Igneous rocks');
    expect(item.mime_type).toBe('text/html');
    expect(
      enqueuer.jobs.filter(
        (j) => j.kind === JobKind.Embed && j.payload.knowledge_item_id === res.body.knowledge_item_id,
      ),
    ).toHaveLength(1);
    await runCrawl(job.payload);
    expect((await getItem(res.body.knowledge_item_id)).content_text).toBe(item.content_text);
  });

  it('a page in a legacy charset is decoded in it (on the HTML pool), NUL characters dropped', async () => {
    const text = await submit('/gb18030');
    await runCrawl(text.job.payload);
    expect((await getItem(text.res.body.knowledge_item_id)).content_text).toBe('花岗岩 g');
    const html = await submit('/latin1.html');
    await runCrawl(html.job.payload);
    const item = await getItem(html.res.body.knowledge_item_id);
    expect(item.content_text).toContain('from the café quarry');
    expect(item.title).toBe('Café');
  });

  it('a crawled PDF becomes its text', async () => {
    const { res, job } = await submit('/paper.pdf');
    await runCrawl(job.payload);
    expect((await getItem(res.body.knowledge_item_id)).content_text).toContain(
      'Sedimentary rocks form in layers',
    );
  });

  it('{title, url} on POST /v1/knowledge creates the pending item and its crawl job', async () => {
    const res = await auth(request(t.url).post('/v1/knowledge'))
      .send({ title: 'Rocks', url: `http://127.0.0.1:${port}/article` })
      .expect(201);
    expect(res.body).toMatchObject({ title: 'Rocks', source_kind: 'url', status: 'pending' });
    expect(
      enqueuer.jobs.some((j) => j.kind === JobKind.Crawl && j.payload.knowledge_item_id === res.body.id),
    ).toBe(true);
  });

  const refusedAtSubmission = [
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://2130706434/', // 127.0.0.2 (127.0.0.1 is this suite's allowlisted "public" site)
    'http://0x7f000002/',
    'http://127.0.0.2/',
    'http://127.0.0.2:8080/',
    'http://[::1]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://localhost/',
    'http://foo.localhost./',
    'http://metadata.google.internal/',
    'http://10.0.0.1/',
    'http://user:pw@example.com/',
    'http://example.com:22/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_',
    'javascript:alert(1)',
  ];

  it.each(refusedAtSubmission)(
    'POST /v1/crawl %s → 422 ssrf-blocked, nothing stored or enqueued',
    async (url) => {
      const before = { items: await itemCount(), jobs: enqueuer.jobs.length, hits: siteHits.length };
      const res = await auth(request(t.url).post('/v1/crawl')).send({ url });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.type).toMatch(/ssrf-blocked$/);
      const viaKnowledge = await auth(request(t.url).post('/v1/knowledge')).send({ title: 'x', url });
      expect(viaKnowledge.status).toBe(422);
      expect(viaKnowledge.body.type).toMatch(/ssrf-blocked$/);
      expect({ items: await itemCount(), jobs: enqueuer.jobs.length, hits: siteHits.length }).toEqual(before);
    },
  );

  it('refusals are counted in rocker_intake_refusals_total by path, reason and org', async () => {
    const { intakeRefusals } = await import('../src/common/metrics/metrics.js');
    const value = async (path: string) =>
      (await intakeRefusals.get()).values.find(
        (v) => v.labels.path === path && v.labels.reason === 'ssrf-blocked' && v.labels.org === A.org.id,
      )?.value ?? 0;
    const before = await value('crawl_submit');
    await auth(request(t.url).post('/v1/crawl')).send({ url: 'http://169.254.169.254/' }).expect(422);
    expect(await value('crawl_submit')).toBe(before + 1);
    const jobBefore = await value('crawl_job');
    const { job } = await submit('/to-metadata');
    await runCrawl(job.payload).catch(() => undefined);
    expect(await value('crawl_job')).toBe(jobBefore + 1);
  });

  it('malformed bodies: 400/422 problem+json, never 500', async () => {
    await auth(request(t.url).post('/v1/crawl')).send({}).expect(400);
    const notUrl = await auth(request(t.url).post('/v1/crawl')).send({ url: 'not a url' }).expect(422);
    expect(notUrl.body.type).toMatch(/validation$/);
    await auth(request(t.url).post('/v1/crawl')).send({ url: 42 }).expect(400);
    await auth(request(t.url).post('/v1/crawl'), 'viewer')
      .send({ url: `http://127.0.0.1:${port}/article` })
      .expect(403);
  });

  it('crawls wait on remote servers, so a process runs more of them at once than of other kinds: three orgs\' slow pages do not fill it', async () => {
    // INGEST_ORG_CONCURRENCY (4) per org; INGEST_WORKER_CONCURRENCY is 8, INGEST_CRAWL_CONCURRENCY 32
    const orgs = [await orgWithRoles(db.owner), await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    for (const [n, org] of orgs.entries())
      for (let i = 0; i < 4; i++)
        await request(bare.url)
          .post('/v1/crawl')
          .set('Authorization', `Bearer ${org.tokens.member}`)
          .send({ url: `http://127.0.0.1:${(holdSites[n].address() as AddressInfo).port}/page?${i}` })
          .expect(202);
    try {
      // all twelve are fetched at once (with 8 crawl workers, 8 would be and 4 would wait), within
      // CRAWL_TIMEOUT_MS (5 s: past it a fetch gives up and its job's retry would fetch again)
      await until(() => held.size === 12, 4_000, 'twelve crawls fetching at once', 20);
    } finally {
      for (const res of held) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Gabbro is a coarse igneous rock.');
      held.clear();
    }
  });

  it('end to end on the real pipeline: POST /v1/crawl → crawl job → embed job → item ready and searchable', async () => {
    // `bare` runs the real outbox, dispatcher and BullMQ workers (ROCKER_ROLE=all), no stand-ins.
    const blocked = await request(bare.url)
      .post('/v1/crawl')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .send({ url: 'http://169.254.169.254/' });
    expect(blocked.status).toBe(422);
    const res = await request(bare.url)
      .post('/v1/crawl')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .send({ url: `http://127.0.0.1:${port}/article` });
    expect(res.status).toBe(202);
    const itemId = res.body.knowledge_item_id as string;
    const jobsOf = async () =>
      (
        await asOrg(db.owner, A.org.id, (c) =>
          c.query<{ kind: string; status: string }>(
            `SELECT kind, status FROM ingest_jobs WHERE knowledge_item_id = $1 ORDER BY queued_at`,
            [itemId],
          ),
        )
      ).rows;
    const deadline = Date.now() + 40_000;
    const done = (j: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(j.status);
    let jobs = await jobsOf();
    while (!(jobs.length === 2 && jobs.every(done)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100)); // polling interval of a bounded wait
      jobs = await jobsOf();
    }
    const item = await getItem(itemId);
    expect(jobs.map((j) => `${j.kind}:${j.status}`).join(' ')).toBe('crawl:succeeded embed:succeeded');
    expect(item?.error ?? null).toBeNull();
    expect(item?.status).toBe('ready');
    expect(item?.content_text).toMatch(/granite/i);
    const chunks = await asOrg(db.owner, A.org.id, (c) =>
      c.query('SELECT count(*)::int AS n FROM private_chunks WHERE knowledge_item_id = $1', [itemId]),
    );
    expect(chunks.rows[0].n).toBeGreaterThan(0);
    expect(jobs).toEqual([
      { kind: 'crawl', status: 'succeeded' },
      { kind: 'embed', status: 'succeeded' },
    ]);
  });

  describe("a crawled PDF's pages are `ocr` units and ocr_pages, as an uploaded PDF's (the real pipeline)", () => {
    const setLimits = async (org: Tenant, body: object) => {
      const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
      await request(bare.url).put(`/v1/admin/orgs/${org.org.id}/limits`).set('Authorization', `Bearer ${root}`).send(body).expect(200);
    };
    const as = (org: Tenant, r: request.Test) => r.set('Authorization', `Bearer ${org.tokens.member}`);
    const crawlJob = (org: Tenant, itemId: string) =>
      asOrg(db.owner, org.org.id, async (c) =>
        (
          await c.query<{ status: string; last_error: string | null; attempts: number }>(
            `SELECT status, last_error, attempts FROM ingest_jobs WHERE knowledge_item_id = $1 AND kind = 'crawl'`,
            [itemId],
          )
        ).rows[0],
      );
    const settled = (org: Tenant, itemId: string) =>
      until(async () => {
        const j = await crawlJob(org, itemId);
        return j && ['succeeded', 'failed'].includes(j.status) ? j : undefined;
      }, 40_000, 'the crawl job to settle');
    const submitPdf = async (org: Tenant) =>
      (await as(org, request(bare.url).post('/v1/knowledge')).send({ title: 'three', url: `http://127.0.0.1:${port}/three.pdf` }).expect(201))
        .body.id as string;

    it('POST /v1/knowledge {url} of a 3-page PDF: 3 ocr_pages metered and 3 units taken from the org\'s `ocr` bucket', async () => {
      const C = await orgWithRoles(db.owner);
      await setLimits(C, { ocr: { limit: 10, window_s: 3600 } }); // one unit every 6 minutes: nothing refills meanwhile
      const id = await submitPdf(C);
      expect(await settled(C, id)).toMatchObject({ status: 'succeeded' });
      expect((await getItemOf(C, id)).content_text).toContain('Flint is hard');
      const usage = (await as(C, request(bare.url).get('/v1/org/usage')).expect(200)).body.totals;
      expect(usage).toMatchObject({ ocr_pages: 3, crawled_pages: 1 });
      // a 1-page PDF upload next: 10 - 3 - 1 = 6 left
      const next = await as(C, request(bare.url).post('/v1/knowledge/upload')).attach('file', makePdf(1, ['Slate']), 'one.pdf').expect(201);
      expect(/"ocr";r=(\d+)/.exec(String(next.headers['ratelimit']))?.[1]).toBe('6');
    });

    it('over the org\'s monthly ocr_pages quota the crawl job fails with quota-exceeded, stores nothing and meters nothing', async () => {
      const B = await orgWithRoles(db.owner);
      await setLimits(B, { quotas: { ocr_pages: 2 } });
      const id = await submitPdf(B);
      const job = await settled(B, id);
      expect(job).toMatchObject({ status: 'failed', attempts: 1 }); // permanent: not retried
      expect(job.last_error).toMatch(/^quota-exceeded: .*ocr_pages quota \(2\)/);
      const item = await getItemOf(B, id);
      expect(item.content_text).toBeNull();
      expect(item.error).toMatch(/^quota-exceeded/);
      const usage = (await as(B, request(bare.url).get('/v1/org/usage')).expect(200)).body.totals;
      expect(usage.ocr_pages).toBe(0);
    });
  });

  describe("a crawled page is checked against the org's cap of stored bytes (the real pipeline)", () => {
    it('a page that would take the org past its cap fails the job with quota-exceeded and stores nothing', async () => {
      const root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
      const E = await orgWithRoles(db.owner);
      const as = (r: request.Test) => r.set('Authorization', `Bearer ${E.tokens.member}`);
      const used = (await as(request(bare.url).get('/v1/org/usage')).expect(200)).body.stored_bytes as number;
      // room for the item's and its jobs' rows (256 bytes each), not for the page's 7,400 bytes
      await request(bare.url).put(`/v1/admin/orgs/${E.org.id}/limits`).set('Authorization', `Bearer ${root}`).send({ caps: { stored_bytes: used + 2048 } }).expect(200);
      const id = (await as(request(bare.url).post('/v1/knowledge')).send({ title: 'long', url: `http://127.0.0.1:${port}/long` }).expect(201)).body.id as string;
      const job = await until(async () => {
        const j = (
          await asOrg(db.owner, E.org.id, (c) =>
            c.query<{ status: string; last_error: string | null; attempts: number }>(`SELECT status, last_error, attempts FROM ingest_jobs WHERE knowledge_item_id = $1 AND kind = 'crawl'`, [id]),
          )
        ).rows[0];
        return j && ['succeeded', 'failed'].includes(j.status) ? j : undefined;
      }, 40_000, 'the crawl job to settle');
      expect(job).toMatchObject({ status: 'failed', attempts: 1 }); // permanent: not retried
      expect(job.last_error).toMatch(/^quota-exceeded: .*stored bytes/);
      expect((await getItemOf(E, id)).content_text).toBeNull();
      expect((await as(request(bare.url).get('/v1/org/usage')).expect(200)).body.stored_bytes).toBeLessThanOrEqual(used + 2048);
    });
  });

  describe('destinations judged only when the job runs', () => {
    const failing: [string, string, RegExp][] = [
      ['redirect to metadata', '/to-metadata', /^ssrf-blocked: /],
      ['redirect to an internal host', '/to-internal', /^ssrf-blocked: /],
      ['unsupported content type', '/exe', /^unsupported-content-type: /],
      ['404', '/missing', /^http-status: /],
    ];
    it.each(failing)('%s → PermanentJobError, the item untouched', async (_label, path, reason) => {
      const { res, job } = await submit(path);
      const err = await runCrawl(job.payload).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentJobError);
      expect((err as Error).message).toMatch(reason);
      expect((await getItem(res.body.knowledge_item_id)).content_text).toBeNull();
    });

    it('a payload naming an internal URL (e.g. from before a policy change) fails with ssrf-blocked', async () => {
      const { res } = await submit('/article');
      for (const url of [
        'http://localhost:' + port + '/article',
        'http://[::1]/',
        'http://169.254.169.254/',
      ]) {
        const err = await runCrawl({ knowledge_item_id: res.body.knowledge_item_id, url }).catch(
          (e: unknown) => e,
        );
        expect(err, url).toBeInstanceOf(PermanentJobError);
        expect((err as Error).message, url).toMatch(/^ssrf-blocked: /);
      }
    });

    it('a 503 from the site is a retryable failure, not a permanent one', async () => {
      const { job } = await submit('/down');
      const err = await runCrawl(job.payload).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(PermanentJobError);
    });
  });
});
