import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { stalledUpload, uploadPastAnswer } from './support/net.js';
import { until } from './support/wait.js';
import { Admission } from '../src/common/admission/admission.js';

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
  const LINGER_MS = 3000;

  beforeAll(async () => {
    db = await createTestDb();
    ({ tokens: { member: token } } = await orgWithRoles(db.owner));
    app = await startApp(envFor(db.appUrl, db.ownerUrl, { JSON_MAX_DEPTH: '32', BODY_LIMIT_BYTES: String(BODY_LIMIT), HTTP_LINGER_MS: String(LINGER_MS) }));
    port = Number(new URL(app.url).port);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await app?.close();
    await db?.drop();
  });

  const send = (length: number, sent = Buffer.alloc(0)) => {
    const up = stalledUpload(`http://127.0.0.1:${port}`, {
      path: '/v1/threads',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      length,
      sent,
    });
    sockets.push(up.socket);
    return up;
  };
  const problem = (body: string) => JSON.parse(body) as { type: string; detail: string };

  it('a body nested too deep is answered 400 while most of it is still unsent', async () => {
    // 4 KiB of 900: the client stalls here
    const up = send(900 * 1024, Buffer.from('['.repeat(4096)));
    const res = await up.response;
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/i);
    expect(problem(res.body).type).toMatch(/json-too-complex$/);
    expect(problem(res.body).detail).toMatch(/nested deeper than 32/);
    // the rest of the body is never read: the answer closes the connection
    expect(res.headers.connection).toBe('close');
    await until(() => up.isClosed(), 5000, 'the server to close the refused upload');
  });

  // A lingering close (src/common/http/lingering-close.ts): after a refusal the server half-closes
  // and reads on, so a client still sending meets no reset. Without it the server closes with the
  // body unread and the client's next write is answered by a reset (ECONNRESET or EPIPE here).
  it('a client still sending its refused body reads the 400 and meets no reset', async () => {
    const out = await uploadPastAnswer(`http://127.0.0.1:${port}`, {
      path: '/v1/threads',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      length: 900 * 1024,
      first: Buffer.from('['.repeat(4096)),
    });
    expect(out.response.status).toBe(400);
    expect(problem(out.response.body).type).toMatch(/json-too-complex$/);
    expect(out.error).toBeUndefined();
    expect(out.serverEnded).toBe(true);
  });

  it('a body refused before it is read (bad token): the 401, then no reset', async () => {
    const out = await uploadPastAnswer(`http://127.0.0.1:${port}`, {
      path: '/v1/threads',
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      length: 900 * 1024,
      first: Buffer.from('{"title": "'),
    });
    expect(out.response.status).toBe(401);
    expect(out.response.headers.connection).toBe('close');
    expect(out.error).toBeUndefined();
    expect(out.serverEnded).toBe(true);
  });

  it('the lingering is bounded: a client that trickles on and never closes is closed after HTTP_LINGER_MS', async () => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    sockets.push(socket);
    let answered = 0;
    let closed = 0;
    socket.on('error', () => undefined);
    socket.on('data', () => (answered ||= Date.now()));
    socket.on('close', () => (closed = Date.now()));
    socket.write(
      `POST /v1/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${900 * 1024}\r\n\r\n${'['.repeat(4096)}`,
    );
    // a byte every 100 ms: the server reads on while it lingers, and its close shows as a reset here
    const trickle = setInterval(() => socket.write(' '), 100);
    await until(() => closed, 15_000, 'the server to close the lingering connection').finally(() => clearInterval(trickle));
    expect(answered).toBeGreaterThan(0);
    // held open for the linger (not closed at once), then closed long before the 120 s idle timeout
    expect(closed - answered).toBeGreaterThanOrEqual(LINGER_MS - 100);
    expect(closed - answered).toBeLessThan(LINGER_MS + 5000);
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
    const res = await send(BODY_LIMIT + 1).response;
    expect(res.status).toBe(413);
    expect(problem(res.body).type).toMatch(/payload-too-large$/);
  });

  it('a valid body sent a few bytes at a time, split inside strings, escapes and UTF-8 characters, is stored as sent', async () => {
    const title = 'h\u00e9llo "quoted" \\ [not nested] {x: 1} \ud83c\udf89';
    const bytes = Buffer.from(JSON.stringify({ title }), 'utf8');
    const up = send(bytes.length);
    for (let i = 0; i < bytes.length; i += 3) {
      up.socket.write(bytes.subarray(i, i + 3));
      await new Promise((r) => setImmediate(r)); // separate writes: separate chunks on the server
    }
    const res = await up.response;
    expect(res.status).toBe(201);
    // the helper reads bytes as latin1; the body is UTF-8
    expect((JSON.parse(Buffer.from(res.body, 'latin1').toString('utf8')) as { title: string }).title).toBe(title);
  });

  it('a JSON text the service cannot read as sent is 415 problem+json: as text/plain, compressed, or in a charset other than UTF-8', async () => {
    const post = (headers: Record<string, string>, body: string | Buffer = '{"title":"x"}') =>
      fetch(`${app.url}/v1/threads`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });
    for (const [headers, body] of [
      [{ 'content-type': 'text/plain' }, undefined],
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync('{"title":"x"}')],
      [{ 'content-type': 'application/json; charset=utf-16' }, Buffer.from('{"title":"x"}', 'utf16le')],
    ] as const) {
      const res = await post(headers, body);
      expect(res.status, JSON.stringify(headers)).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { type: string }).type).toMatch(/\/unsupported-media-type$/);
    }
    for (const headers of [{ 'content-type': 'application/json; charset=UTF-8' }, { 'content-type': 'application/json', 'content-encoding': 'identity' }] as Record<string, string>[])
      expect((await post(headers)).status, JSON.stringify(headers)).toBe(201);
  });

  it('a body with a BOM and bytes that are not UTF-8, sent a byte at a time, is read as the whole body reads (U+FFFD for each bad sequence)', async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]), // BOM
      Buffer.from('{"title":"a'),
      Buffer.from([0xc3, 0x28, 0xff, 0xe4, 0xb8]), // a broken 2-byte sequence, a byte never in UTF-8, a truncated 3-byte one
      Buffer.from('b \u00e9\u4e16"}'),
    ]);
    const expected = (JSON.parse(bytes.toString('utf8').slice(1)) as { title: string }).title;
    expect(expected).toBe('a\ufffd(\ufffd\ufffdb \u00e9\u4e16');
    const up = send(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      up.socket.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
    const res = await up.response;
    expect(res.status).toBe(201);
    expect((JSON.parse(Buffer.from(res.body, 'latin1').toString('utf8')) as { title: string }).title).toBe(expected);
  });
});

describe('the lingering close is paid from headroom: a saturated instance closes a refused upload at once', () => {
  let db: TestDb;
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    db = await createTestDb();
    ({ tokens: { member: token } } = await orgWithRoles(db.owner));
    // any event-loop utilisation counts as saturation: every sample after the first says saturated
    app = await startApp(
      envFor(db.appUrl, db.ownerUrl, { JSON_MAX_DEPTH: '32', ADMISSION_MAX_UTILIZATION: '0.000001', ADMISSION_SAMPLE_MS: '50' }),
    );
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('the 400 is sent, then the connection closes with the body unread (the rest meets a reset)', async () => {
    const admission = app.app.get(Admission);
    await until(() => admission.saturated(), 5000, 'the instance to count as saturated');
    const out = await uploadPastAnswer(app.url, {
      path: '/v1/threads',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      length: 900 * 1024,
      first: Buffer.from('['.repeat(4096)),
    });
    expect(out.response.status).toBe(400);
    expect(out.error).toMatch(/^(EPIPE|ECONNRESET)$/);
  });
});
