import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { until } from './support/wait.js';

/**
 * JSON bodies are judged while they arrive (src/common/http/json-body.ts): too deep or too many
 * keys is a 400 problem+json answered as soon as the offending bytes are read, over the limit is a
 * 413 by its Content-Length before anything is read, and a valid body split anywhere (even inside
 * a UTF-8 character) parses as sent. Raw sockets: the test controls every byte and when it is sent.
 */
describe('JSON bodies: shape checked while they arrive', () => {
  let db: TestDb;
  let app: TestApp;
  let token: string;
  let port: number;
  const sockets: Socket[] = [];
  const BODY_LIMIT = 1024 * 1024;

  beforeAll(async () => {
    db = await createTestDb();
    ({ tokens: { member: token } } = await orgWithRoles(db.owner));
    app = await startApp(envFor(db.appUrl, db.ownerUrl, { JSON_MAX_DEPTH: '32', BODY_LIMIT_BYTES: String(BODY_LIMIT) }));
    port = Number(new URL(app.url).port);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await app?.close();
    await db?.drop();
  });

  /** Opens a connection, writes the request head, and collects whatever the server answers. */
  const open = (contentLength: number) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/threads HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
        `content-type: application/json\r\ncontent-length: ${contentLength}\r\n\r\n`,
    );
    return { socket, answer: () => answer };
  };
  const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { type: string; detail: string };

  it('a body nested too deep is answered 400 while most of it is still unsent', async () => {
    const declared = 900 * 1024;
    const c = open(declared);
    c.socket.write('['.repeat(4096)); // 4 KiB of 900: the client stalls here
    await until(() => c.answer().includes('\r\n\r\n{'), 10_000, 'the answer');
    expect(statusOf(c.answer())).toBe(400);
    expect(c.answer()).toMatch(/content-type: application\/problem\+json/i);
    expect(bodyOf(c.answer()).type).toMatch(/json-too-complex$/);
    expect(bodyOf(c.answer()).detail).toMatch(/nested deeper than 32/);
  });

  it('too many keys: 400 json-too-complex', async () => {
    const res = await fetch(`${app.url}/v1/threads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toMatch(/json-too-complex$/);
  });

  it('a Content-Length over the limit is 413 before a byte of the body is read', async () => {
    const c = open(BODY_LIMIT + 1);
    await until(() => c.answer().includes('\r\n\r\n{'), 10_000, 'the answer');
    expect(statusOf(c.answer())).toBe(413);
    expect(bodyOf(c.answer()).type).toMatch(/payload-too-large$/);
  });

  it('a valid body sent a few bytes at a time, split inside strings, escapes and UTF-8 characters, is stored as sent', async () => {
    const title = 'h\u00e9llo "quoted" \\ [not nested] {x: 1} \ud83c\udf89';
    const bytes = Buffer.from(JSON.stringify({ title }), 'utf8');
    const c = open(bytes.length);
    for (let i = 0; i < bytes.length; i += 3) {
      c.socket.write(bytes.subarray(i, i + 3));
      await new Promise((r) => setImmediate(r)); // separate writes: separate chunks on the server
    }
    await until(() => /\r\n\r\n.*\}/s.test(c.answer()), 10_000, 'the answer');
    expect(statusOf(c.answer())).toBe(201);
    expect((bodyOf(c.answer()) as unknown as { title: string }).title).toBe(title);
  });
});
