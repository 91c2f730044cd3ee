import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { until } from './support/wait.js';
import { Agent, fetch } from 'undici';
import { EmbeddingsService } from '../src/modules/embeddings/embeddings.service.js';

/** 16 inputs of 4,000 characters: 16 turns of the local model, seconds of work. */
const LONG = JSON.stringify({
  input: Array.from({ length: 16 }, (_, i) => `${i} `.padEnd(4000, 'rain falls on the coast ')),
});

/**
 * POST /v1/embeddings runs the model outside any tenant transaction: it holds no pooled connection
 * (nor a slot of the database's fair scheduler) while its batches wait for and run on the model,
 * and a client that goes away drops the batches still waiting.
 */
describe('POST /v1/embeddings holds no database connection', () => {
  let db: TestDb;
  let t: TestApp;
  let engine: EmbeddingsService['engine'];
  // The suite's own connections, closed with it: an aborted fetch can leave one opened and never
  // used, which the server's close would wait on until its keep-alive timeout.
  let client: Agent;

  beforeAll(async () => {
    db = await createTestDb();
    // One slot of the database's fair scheduler (DATABASE_POOL_SIZE - 2): a request holding it
    // through the model would keep every other org's transaction waiting.
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { DATABASE_POOL_SIZE: '3' }));
    engine = t.app.get(EmbeddingsService).engine;
    client = new Agent();
  });

  afterAll(async () => {
    await client?.destroy();
    await t?.close();
    await db?.drop();
  });

  const post = (token: string, signal?: AbortSignal) =>
    fetch(`${t.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: LONG,
      signal,
      dispatcher: client,
    });
  const modelBusy = () => engine.stats().running > 0;

  it("another org's request is answered while one org's long embedding request runs on the model", async () => {
    const [a, b] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    let aDone = false;
    const aRes = post(a.tokens.member).finally(() => (aDone = true));
    await until(modelBusy, 10_000, "org A's batches on the model", 5);
    const res = await fetch(`${t.url}/v1/org`, {
      headers: { authorization: `Bearer ${b.tokens.member}` },
      dispatcher: client,
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(aDone).toBe(false); // answered while A's batches still ran, not after them
    const answer = await aRes;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: unknown[] }).data).toHaveLength(16);
  });

  it('a client gone drops its batches still waiting for the model', async () => {
    const a = await orgWithRoles(db.owner);
    const ac = new AbortController();
    const res = post(a.tokens.member, ac.signal).catch((e: Error) => e);
    await until(modelBusy, 10_000, "the request's batches on the model", 5);
    ac.abort();
    expect(await res).toBeInstanceOf(Error);
    // the batch running ends (a turn is at most EMBEDDINGS_BATCH_MAX_CHARS: well under a second
    // here); the other 15, seconds of work, never start
    await until(
      () => !modelBusy() && Object.keys(engine.stats().waiting).length === 0,
      2_000,
      'the model idle',
      5,
    );
  });
});
