import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';

/** Bytes of large answers an org may have written per second in this test (LARGE_ANSWER_BYTES_PER_S). */
const BUDGET = 400_000;

/**
 * Large answers (an item's documents, a page of long messages) are paced per org to
 * LARGE_ANSWER_BYTES_PER_S, one second's worth up front: a reader of one large item does not wait,
 * one reading them over and over does, and another org's large answer does not wait behind it.
 */
describe('large answers are paced per org', () => {
  let db: TestDb;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { LARGE_ANSWER_BYTES_PER_S: String(BUDGET) }));
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  /** Reads `path` whole as `token`; resolves with how long it took, ms. */
  const timedRead = async (token: string, path: string): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    return performance.now() - t0;
  };

  it("an org reading a large item again waits for its budget; another org's read does not", async () => {
    const [a, b] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    const item = (org: string) =>
      asOrg(db.owner, org, async (c) =>
        (await c.query<{ id: string }>(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 't', 'text', $2) RETURNING id`, [org, 'x'.repeat(300_000)])).rows[0].id,
      );
    const [itemA, itemB] = [await item(a.org.id), await item(b.org.id)];
    const t0 = performance.now();
    await timedRead(a.tokens.member, `/v1/knowledge/${itemA}`); // 300 KB of the 400 KB up front
    await timedRead(a.tokens.member, `/v1/knowledge/${itemA}`); // starts with what is left: in debt
    const [, otherB] = await Promise.all([timedRead(a.tokens.member, `/v1/knowledge/${itemA}`), timedRead(b.tokens.member, `/v1/knowledge/${itemB}`)]);
    const threeReads = performance.now() - t0;
    // the third may start only once 400 KB + 400 KB/s × t covers the 600 KB charged before it: t ≥ 0.5 s
    expect(threeReads).toBeGreaterThanOrEqual(495);
    expect(otherB * 3).toBeLessThan(threeReads); // the other org's read, meanwhile, did not wait
  });

  it('pages of long messages are paced the same way', async () => {
    const c = await orgWithRoles(db.owner);
    const headers = { authorization: `Bearer ${c.tokens.member}`, 'content-type': 'application/json' };
    const thread = (await (await fetch(`${t.url}/v1/threads`, { method: 'POST', headers, body: JSON.stringify({ title: 'long' }) })).json()) as { id: string };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${t.url}/v1/threads/${thread.id}/messages`, { method: 'POST', headers, body: JSON.stringify({ role: 'user', content: 'y'.repeat(100_000) }) });
      expect(res.status).toBe(201);
    }
    const page = `/v1/threads/${thread.id}/messages?limit=100`; // 3 messages of 100 KB, read in slices
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await timedRead(c.tokens.member, page);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(495); // as above: 600 KB charged before the third
  });

  it('an answer is large by its JSON: control characters, six bytes each in it, are streamed and paced', async () => {
    const d = await orgWithRoles(db.owner);
    const controls = '\u0001'.repeat(100_000); // 100 KB stored, under the inline limit; 600 KB of JSON
    const itemId = await asOrg(db.owner, d.org.id, async (c) =>
      (await c.query<{ id: string }>(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 't', 'text', $2) RETURNING id`, [d.org.id, controls])).rows[0].id,
    );
    const headers = { authorization: `Bearer ${d.tokens.member}`, 'content-type': 'application/json' };
    const thread = (await (await fetch(`${t.url}/v1/threads`, { method: 'POST', headers, body: JSON.stringify({ title: 'controls' }) })).json()) as { id: string };
    const posted = await fetch(`${t.url}/v1/threads/${thread.id}/messages`, { method: 'POST', headers, body: JSON.stringify({ role: 'user', content: controls.slice(0, 20_000) }) });
    expect(posted.status).toBe(201); // 20 KB, under the page's 64 KiB inline; 120 KB of JSON
    const t0 = performance.now();
    for (const path of [`/v1/knowledge/${itemId}`, `/v1/threads/${thread.id}/messages`]) {
      const res = await fetch(`${t.url}${path}`, { headers });
      expect(res.status).toBe(200);
      // a streamed answer has no length up front; an inline one (the stored size judged) had one
      expect(res.headers.get('content-length'), path).toBeNull();
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      const body = (await res.json()) as { content_text?: string; data?: { content: string }[] };
      expect(body.content_text ?? body.data![0].content).toBe(path.includes('knowledge') ? controls : controls.slice(0, 20_000));
    }
    // and paced as such: 720 KB charged before the third read, which starts once 400 KB + 400 KB/s × t covers it
    await timedRead(d.tokens.member, `/v1/knowledge/${itemId}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(795);
  });
});
