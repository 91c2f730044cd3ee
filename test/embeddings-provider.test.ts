import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { createApp } from '../src/bootstrap.js';
import { OpenAiEmbeddingProvider } from '../src/modules/embeddings/openai-embedding.provider.js';
import { EmbeddingProviderError, embeddingUnits } from '../src/modules/embeddings/embedding-provider.js';
import { jobDuration } from '../src/common/metrics/metrics.js';
import { orgLabel } from '../src/common/metrics/org-label.js';
import { LocalEmbeddingProvider } from '../src/modules/embeddings/local-embedding.provider.js';
import { existsSync, readFileSync } from 'node:fs';

interface Seen {
  auth?: string;
  body: { model: string; input: string[] };
}

/** A loopback server speaking the OpenAI embeddings API: vector i of dimension `dim` is [len(text), i, 0...]. */
function fakeOpenAi(dim: number) {
  const seen: Seen[] = [];
  let mode: 'ok' | 'error' | 'wrong-dim' | 'shuffled' = 'ok';
  /** While set, every request past its `free` ones waits for it (hold() / release()) before it is answered. */
  let held: { done: Promise<void>; release: () => void; free: number } | undefined;
  let waiting = 0;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw);
    seen.push({ auth: req.headers.authorization, body });
    if (held && held.free > 0) held.free--;
    else if (held) {
      waiting++;
      await held.done;
      waiting--;
    }
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
      return;
    }
    const d = mode === 'wrong-dim' ? dim + 1 : dim;
    let data = (body.input as string[]).map((text, index) => ({
      object: 'embedding',
      index,
      embedding: [text.length, index, ...Array.from({ length: d - 2 }, () => 0)],
    }));
    if (mode === 'shuffled') data = data.reverse();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ object: 'list', data, model: body.model, usage: { prompt_tokens: 7 * body.input.length, total_tokens: 7 * body.input.length } }),
    );
  });
  return {
    seen,
    setMode: (m: typeof mode) => (mode = m),
    /** Holds every request after the next `after` ones. */
    hold: (after = 0) => {
      let release!: () => void;
      const done = new Promise<void>((ok) => (release = ok));
      held = { done, release, free: after };
    },
    release: () => {
      held?.release();
      held = undefined;
    },
    waiting: () => waiting,
    start: () => new Promise<string>((ok) => server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`))),
    stop: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

describe(OpenAiEmbeddingProvider.name, () => {
  const fake = fakeOpenAi(8);
  let base: string;

  beforeAll(async () => {
    base = await fake.start();
  });
  afterAll(() => fake.stop());

  it('sends model, input and key, batches, and keeps input order', async () => {
    fake.setMode('shuffled');
    const sut = new OpenAiEmbeddingProvider({ baseUrl: base + '/', apiKey: 'sk-test-key', model: 'fake-embed', dimension: 8, batchSize: 2 });
    const r = await sut.embed(['a', 'bb', 'ccc']);
    expect(r.vectors.map((v) => v[0])).toEqual([1, 2, 3]);
    expect(r.vectors.every((v) => v.length === 8)).toBe(true);
    expect(r.tokens).toBe(7 * 2 + 7 * 1);
    expect(fake.seen.slice(-2).map((s) => s.body.input)).toEqual([['a', 'bb'], ['ccc']]);
    expect(fake.seen.at(-1)).toMatchObject({ auth: 'Bearer sk-test-key', body: { model: 'fake-embed' } });
  });

  it('refuses a vector of another dimension, an error status and an unreachable server', async () => {
    const sut = new OpenAiEmbeddingProvider({ baseUrl: base, model: 'fake-embed', dimension: 8 });
    fake.setMode('wrong-dim');
    await expect(sut.embed(['x'])).rejects.toThrow(/9 dimensions; EMBEDDINGS_DIM is 8/);
    fake.setMode('error');
    await expect(sut.embed(['x'])).rejects.toBeInstanceOf(EmbeddingProviderError);
    const down = new OpenAiEmbeddingProvider({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', dimension: 8, timeoutMs: 2000 });
    await expect(down.embed(['x'])).rejects.toThrow(/unreachable|timed out/);
    fake.setMode('ok');
  });
});

describe('the service with EMBEDDINGS_PROVIDER=openai', () => {
  const fake = fakeOpenAi(512);
  const poll = async (what: string, ok: () => Promise<boolean> | boolean) => {
    for (const end = Date.now() + 20_000; !(await ok()); ) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let db: TestDb;
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    base = await fake.start();
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, {
        EMBEDDINGS_PROVIDER: 'openai',
        EMBEDDINGS_BASE_URL: base,
        EMBEDDINGS_MODEL: 'fake-512',
        EMBEDDINGS_API_KEY: 'sk-e2e',
        // a job's lease renewed every 500 ms: a deleted item's job is stopped within a second
        INGEST_LEASE_MS: '1500',
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await fake.stop();
  });

  it('answers /v1/embeddings and searches through the remote model', async () => {
    const { tokens } = await orgWithRoles(db.owner);
    const res = await request(t.url).post('/v1/embeddings').set('Authorization', `Bearer ${tokens.member}`).send({ input: ['hello', 'hi'] }).expect(200);
    expect(res.body).toMatchObject({ object: 'list', model: 'fake-512', usage: { prompt_tokens: 14, total_tokens: 14 } });
    expect(res.body.data[0].embedding.slice(0, 2)).toEqual([5, 0]);
    expect(fake.seen.at(-1)?.auth).toBe('Bearer sk-e2e');
    const search = await request(t.url).post('/v1/search/private').set('Authorization', `Bearer ${tokens.member}`).send({ query: 'anything', k: 5 }).expect(200);
    expect(search.body.data).toEqual([]);
  });

  it("an item deleted while its embed job waits on the model is charged the model's work: the commit never comes, the inputs are metered all the same", async () => {
    const { tokens } = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${tokens.member}`);
    const usage = async () => (await as(request(t.url).get('/v1/org/usage')).expect(200)).body.totals.embedding_inputs as number;
    fake.hold();
    const before = fake.seen.length;
    try {
      const text = 'Basalt is a fine-grained volcanic rock formed from the rapid cooling of lava at the surface. '.repeat(60);
      const id = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'gone', text }).expect(201)).body.id as string;
      await poll('the embed job at the model', () => fake.waiting() > 0);
      // deleted while the model works: the job's row goes with the item, and its commit is refused
      await as(request(t.url).delete(`/v1/knowledge/${id}`)).expect(204);
    } finally {
      fake.release();
    }
    const inputs = fake.seen.slice(before).reduce((n, s) => n + s.body.input.length, 0);
    expect(inputs).toBeGreaterThan(3);
    // charged once the model answered, a unit per 1,000 characters of each input (without the
    // charge before the commit: 0, the work free)
    await poll('the inputs metered', async () => (await usage()) >= inputs);
    const jobs = (await as(request(t.url).get('/v1/ingest/jobs?kind=embed')).expect(200)).body.data as unknown[];
    expect(jobs).toEqual([]); // the job went with its item: it never committed
  });

  it('an embed job stopped partway (its item deleted while the model works) is charged the batches the model did', async () => {
    const { org, tokens } = await orgWithRoles(db.owner);
    const as = (r: request.Test) => r.set('Authorization', `Bearer ${tokens.member}`);
    const usage = async () => (await as(request(t.url).get('/v1/org/usage')).expect(200)).body.totals.embedding_inputs as number;
    // this org's jobs only: the test before's job may be counted lost later than its test ends
    const lost = async () =>
      (await jobDuration.get()).values
        .filter((v) => v.metricName?.endsWith('_count') && v.labels.outcome === 'lease_lost' && v.labels.org === orgLabel(org.id))
        .reduce((n, v) => n + v.value, 0);
    const lostBefore = await lost();
    const before = fake.seen.length;
    fake.hold(2); // two batches answered, the third held
    try {
      const text = 'Obsidian is a naturally occurring volcanic glass formed as an extrusive igneous rock. '.repeat(400);
      const id = (await as(request(t.url).post('/v1/knowledge')).send({ title: 'stopped', text }).expect(201)).body.id as string;
      await poll('the third batch at the model', () => fake.waiting() > 0);
      await as(request(t.url).delete(`/v1/knowledge/${id}`)).expect(204);
      await poll('the job stopped (its lease lost)', async () => (await lost()) > lostBefore);
    } finally {
      fake.release();
    }
    const batches = fake.seen.slice(before);
    const units = batches.reduce((n, s) => n + embeddingUnits(s.body.input), 0);
    // the two batches answered before the stop are charged (without the charge as it goes: 0); the
    // third, in flight when the run was stopped, at most (its answer is not waited for)
    const answered = embeddingUnits(batches.slice(0, 2).flatMap((b) => b.body.input));
    await poll('the batches metered', async () => (await usage()) >= answered);
    expect(await usage()).toBeLessThanOrEqual(units);
    expect(batches.length).toBe(3); // the run stopped at its next batch: the rest never reached the model
  });

  it('a provider failure is 503 problem+json, not 500', async () => {
    const { tokens } = await orgWithRoles(db.owner);
    fake.setMode('error');
    const res = await request(t.url).post('/v1/embeddings').set('Authorization', `Bearer ${tokens.member}`).send({ input: 'x' });
    fake.setMode('ok');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toContain('sk-e2e');
  });

  it('a model whose dimension differs from the column is refused at boot, with a clear message', async () => {
    const env = envFor(db.appUrl, db.ownerUrl, { EMBEDDINGS_PROVIDER: 'openai', EMBEDDINGS_BASE_URL: base, EMBEDDINGS_MODEL: 'big', EMBEDDINGS_DIM: '768' });
    await expect(createApp(env, { docs: false })).rejects.toThrow(/dimension mismatch.*768.*vector\(512\)/s);
  });
});

describe('local embedding model thread start', () => {
  // A worker thread refuses process-wide flags in its execArgv (ERR_WORKER_INVALID_EXEC_ARGV):
  // a service started as `node --max-old-space-size=... dist/src/main.js` answered every search 500.
  it.each(['--max-old-space-size=4096', '--v8-pool-size=2'])('embeds in a process started with %s', async (flag) => {
    const saved = [...process.execArgv];
    process.execArgv.push(flag);
    const p = new LocalEmbeddingProvider();
    try {
      const r = await p.embed(['a sentence']);
      expect(r.vectors[0]).toHaveLength(512);
    } finally {
      process.execArgv.splice(0, process.execArgv.length, ...saved);
      await p.close();
    }
  });
});

describe('local embedding model thread priority', () => {
  const niceOf = (pid: number, tid: number) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
  };

  it('ENGINE_NICE renices the model thread only; the process main thread keeps its priority', async () => {
    const p = new LocalEmbeddingProvider(16, 60_000, 7);
    try {
      const r = await p.embed(['a low-priority sentence']);
      expect(r.vectors[0]).toHaveLength(512);
      await expect.poll(() => p.threadInfo).toBeDefined();
      const { tid, nice } = p.threadInfo!;
      expect(tid).not.toBe(process.pid);
      expect(nice).toBe(7);
      expect(niceOf(process.pid, tid)).toBe(7); // as the kernel reports it
      expect(niceOf(process.pid, process.pid)).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('is left alone by default (0)', async () => {
    const p = new LocalEmbeddingProvider();
    try {
      await p.embed(['a normal sentence']);
      await expect.poll(() => p.threadInfo).toBeDefined();
      expect(niceOf(process.pid, p.threadInfo!.tid)).toBe(0);
    } finally {
      await p.close();
    }
  });
});

describe('local embedding model quick lane', () => {
  it('is a second model thread (at the same nice value) that gives the same vectors, stopped with the first', async () => {
    const p = new LocalEmbeddingProvider(16, 60_000, 3);
    const quick = p.quickLane();
    let tid = 0;
    try {
      expect(p.quickLane()).toBe(quick); // one second thread, not one per call
      const texts = ['granite is an igneous rock', 'a second sentence'];
      const [a, b] = await Promise.all([p.embed(texts), quick.embed(texts)]);
      expect(b.vectors).toEqual(a.vectors);
      await expect.poll(() => p.threadInfo && quick.threadInfo).toBeDefined();
      tid = quick.threadInfo!.tid;
      expect(tid).not.toBe(p.threadInfo!.tid);
      expect(quick.threadInfo!.nice).toBe(3);
      expect(existsSync(`/proc/self/task/${tid}`)).toBe(true);
    } finally {
      await p.close();
    }
    await expect.poll(() => existsSync(`/proc/self/task/${tid}`), { timeout: 5000 }).toBe(false);
  });
});
