import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { MESSAGE_PAGE_BYTES } from '../src/modules/threads/threads.repository.js';
import { READ_SLICE_BYTES } from '../src/common/admission/answer-slots.js';

interface Message {
  id: string;
  content: string;
}
interface MessagePage {
  data: Message[];
  next_cursor: string | null;
}

/**
 * GET /v1/threads/:id/messages pages by count and by bytes: a page stops once it holds
 * MESSAGE_PAGE_BYTES of content (a message may be 100,000 characters, so 100 of them would be a
 * 30 MB answer), and the cursor walks every message exactly once whatever their sizes.
 */
describe('thread message pages', () => {
  let db: TestDb;
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
    token = (await orgWithRoles(db.owner)).tokens.member;
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const as = (r: request.Test) => r.set('Authorization', `Bearer ${token}`);

  async function thread(contents: string[]): Promise<string> {
    const { body } = await as(request(t.url).post('/v1/threads').send({ title: 'pages' })).expect(201);
    for (const content of contents) await as(request(t.url).post(`/v1/threads/${body.id}/messages`).send({ role: 'user', content })).expect(201);
    return body.id as string;
  }

  /** Every page from the first, with its size. */
  async function walk(threadId: string, limit: number): Promise<MessagePage[]> {
    const pages: MessagePage[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await as(request(t.url).get(`/v1/threads/${threadId}/messages${q}`)).expect(200);
      pages.push(res.body as MessagePage);
      cursor = (res.body as MessagePage).next_cursor;
    } while (cursor && pages.length < 50);
    return pages;
  }

  it('stops a page at its byte budget and walks every message once, in order', async () => {
    // 200,000 bytes each: the second starts inside the budget, the third past it.
    const big = (i: number) => `${i}`.padEnd(100_000, 'é');
    expect(Buffer.byteLength(big(0))).toBeGreaterThan(MESSAGE_PAGE_BYTES / 2);
    expect(Buffer.byteLength(big(0))).toBeLessThan(MESSAGE_PAGE_BYTES);
    const contents = [0, 1, 2, 3, 4].map(big);
    const id = await thread(contents);

    const pages = await walk(id, 100);
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.data.map((m) => m.content))).toEqual(contents);
    expect(pages.at(-1)!.next_cursor).toBeNull();
  });

  it('answers a message larger than the budget alone on its page', async () => {
    const huge = '中'.repeat(100_000); // 300,000 bytes
    expect(Buffer.byteLength(huge)).toBeGreaterThan(MESSAGE_PAGE_BYTES);
    const id = await thread([huge, 'after', huge]);

    const pages = await walk(id, 100);
    expect(pages.map((p) => p.data.map((m) => m.content.length))).toEqual([[100_000], ['after'.length, 100_000]]);
    expect(pages.flatMap((p) => p.data.map((m) => m.content))).toEqual([huge, 'after', huge]);
  });

  it('streams a page of long messages: characters across slice edges and JSON escapes come back exactly', async () => {
    // a 4-byte character starting 2 bytes before the first slice edge, a 3-byte one 1 byte before the second
    const edge = (n: number, ch: string, back: number) => 'a'.repeat(n - back) + ch;
    let awkward = edge(READ_SLICE_BYTES, '😀', 2) + edge(READ_SLICE_BYTES - 2, '中', 1);
    while (Buffer.byteLength(awkward) < 3 * READ_SLICE_BYTES) awkward += 'é"\\/\n\t\u2028 中文 😀 </script> ';
    const short = 'a short one, "quoted"';
    const id = await thread([awkward, short, awkward]);

    const res = await as(request(t.url).get(`/v1/threads/${id}/messages`)).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['transfer-encoding']).toBe('chunked'); // written as a stream
    expect((res.body as MessagePage).data.map((m) => m.content)).toEqual([awkward, short, awkward]);
    expect(Object.keys((res.body as MessagePage).data[0]).sort()).toEqual(['content', 'created_at', 'created_by', 'id', 'role', 'thread_id']);

    const small = await as(request(t.url).get(`/v1/threads/${await thread(['tiny'])}/messages`)).expect(200);
    expect(small.headers['transfer-encoding']).toBeUndefined(); // a small page in one piece
    expect(small.headers['content-length']).toBeDefined();
  });

  it('pages small messages by the limit alone', async () => {
    const contents = Array.from({ length: 25 }, (_, i) => `message ${i}`);
    const id = await thread(contents);

    const byTen = await walk(id, 10);
    expect(byTen.map((p) => p.data.length)).toEqual([10, 10, 5]);
    expect(byTen.flatMap((p) => p.data.map((m) => m.content))).toEqual(contents);

    const whole = await walk(id, 25);
    expect(whole).toHaveLength(1);
    expect(whole[0].data.map((m) => m.content)).toEqual(contents);
    expect(whole[0].next_cursor).toBeNull();
  });

  it('answers a new message exactly as its page later reads it (its text is not read back from the database)', async () => {
    const { body: created } = await as(request(t.url).post('/v1/threads').send({ title: 'answer' })).expect(201);
    // characters of one, two, three and four UTF-8 bytes, escapes, and a long run of them
    const content = `a "quoted" \\ line\nnext: é 中 😀 `.repeat(2000);
    const { body: answer } = await as(
      request(t.url).post(`/v1/threads/${created.id}/messages`).send({ role: 'assistant', content }),
    ).expect(201);
    const page = await as(request(t.url).get(`/v1/threads/${created.id}/messages`)).expect(200);
    expect((page.body as MessagePage).data).toEqual([answer]);
    expect(Object.keys(answer)).toEqual(['id', 'thread_id', 'role', 'content', 'created_by', 'created_at']);
    expect(answer).toMatchObject({ thread_id: created.id, role: 'assistant', content });
  });
});
