import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { READ_SLICE_BYTES } from '../src/modules/knowledge/knowledge.service.js';

/**
 * GET /v1/knowledge/:id of an item whose documents are over KNOWLEDGE_INLINE_CONTENT_BYTES: read in
 * slices and written as a stream, the answer is still exactly the stored text and HTML, whatever
 * characters straddle a slice's edge or need escaping in JSON.
 */
const INLINE = 1024;

/** Text whose bytes put a 4-byte, a 3-byte and a 2-byte character across slice edges, with JSON escapes. */
function awkwardText(slices: number): string {
  const edge = (n: number, ch: string, back: number) => 'a'.repeat(n - back) + ch; // ch starts `back` bytes before the edge
  const parts = [edge(READ_SLICE_BYTES, '😀', 2), edge(READ_SLICE_BYTES - 2, '中', 1)];
  const mixed = 'é"\\/\n\t\u2028 中文 😀 </script> ';
  let text = parts.join('');
  while (Buffer.byteLength(text) < slices * READ_SLICE_BYTES) text += mixed;
  return text;
}

describe('GET /v1/knowledge/:id of a large item', () => {
  let db: TestDb;
  let t: TestApp;
  let token: string;
  let orgId: string;
  let otherToken: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { KNOWLEDGE_INLINE_CONTENT_BYTES: String(INLINE) }));
    const mine = await orgWithRoles(db.owner);
    token = mine.tokens.member;
    orgId = mine.org.id;
    otherToken = (await orgWithRoles(db.owner)).tokens.member;
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  /** The item's documents as Postgres holds them (RLS is forced for the owner too: as the org). */
  const stored = (id: string) =>
    asOrg(db.owner, orgId, async (c) => {
      const r = await c.query<{ content_text: string | null; content_html: string | null }>(
        'SELECT content_text, content_html FROM knowledge_items WHERE id = $1',
        [id],
      );
      return r.rows[0];
    });

  const create = async (body: Record<string, string>) => {
    const res = await request(t.url).post('/v1/knowledge').set('Authorization', `Bearer ${token}`).send(body);
    expect(res.status).toBe(201);
    return res.body as { id: string };
  };

  it('answers the stored text exactly, streamed, with characters across slice edges', async () => {
    const text = awkwardText(4);
    const { id } = await create({ title: 'large text', text });
    const res = await request(t.url).get(`/v1/knowledge/${id}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // streamed: written a slice at a time, so its length is not known up front
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const db1 = await stored(id);
    expect(Buffer.byteLength(db1.content_text!)).toBeGreaterThan(3 * READ_SLICE_BYTES);
    expect(res.body.content_text).toBe(db1.content_text);
    expect(res.body.content_html).toBeNull();
    expect(res.body).toMatchObject({ id, title: 'large text', source_kind: 'text' });
  });

  it('answers large sanitised HTML and its text (both over the inline size) exactly', async () => {
    const cell = '<p>é "quoted" \\ 中文 😀 <b>bold</b> &amp; <a href="https://example.com/x?a=1&b=2">link</a></p>\n';
    const { id } = await create({ title: 'large html', html: cell.repeat(Math.ceil((3 * READ_SLICE_BYTES) / cell.length)) });
    const res = await request(t.url).get(`/v1/knowledge/${id}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const db1 = await stored(id);
    expect(Buffer.byteLength(db1.content_html!)).toBeGreaterThan(2 * READ_SLICE_BYTES);
    expect(res.body.content_html).toBe(db1.content_html);
    expect(res.body.content_text).toBe(db1.content_text);
  });

  it('answers a small item in one piece, with the same fields', async () => {
    const { id } = await create({ title: 'small', text: 'short text é 😀' });
    const res = await request(t.url).get(`/v1/knowledge/${id}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBeDefined();
    expect(res.body.content_text).toBe('short text é 😀');
    const large = await create({ title: 'large', text: awkwardText(2) });
    const big = await request(t.url).get(`/v1/knowledge/${large.id}`).set('Authorization', `Bearer ${token}`);
    expect(Object.keys(big.body).sort()).toEqual(Object.keys(res.body).sort());
  });

  it("is 404 problem+json for another org's large item", async () => {
    const { id } = await create({ title: 'mine', text: awkwardText(2) });
    const res = await request(t.url).get(`/v1/knowledge/${id}`).set('Authorization', `Bearer ${otherToken}`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
