import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { parseAnswer } from './support/net.js';
import { IDLE_CAP_GRACE_MS } from '../src/common/http/idle-cap.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** A raw keep-alive connection: sends requests one at a time and knows when the server closed it. */
class Conn {
  closed = false;
  /** Closed by a reset (the server dropped what was left unsent), not a FIN. */
  reset = false;
  private buf = '';
  private waiting?: () => void;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.waiting?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (this.reset ||= e.code === 'ECONNRESET'));
    socket.once('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static async open(port: number): Promise<Conn> {
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return new Conn(s);
  }

  private request(path: string, token: string): void {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  }

  /** Sends one GET and never reads its answer (the socket paused: the kernel keeps what it cannot deliver). */
  send(path: string, token: string): void {
    this.socket.pause();
    this.request(path, token);
  }

  /** One GET, answered whole (status line, headers and a Content-Length body); the status. */
  async get(path: string, token: string): Promise<number> {
    this.buf = '';
    this.request(path, token);
    for (;;) {
      const answer = parseAnswer(this.buf);
      if (answer) return answer.status;
      if (this.closed) throw new Error('closed before the answer');
      await new Promise<void>((r) => (this.waiting = r));
      this.waiting = undefined;
    }
  }
}

/**
 * HTTP_MAX_IDLE_CONNECTIONS_PER_ORG: an org's keep-alive connections idle after an answer are
 * capped per instance; past the cap its oldest idle one is reset (an answer the kernel took and
 * the client never read holds host memory until the keep-alive timeout otherwise). Other orgs'
 * connections are their own.
 */
describe('idle connections per org', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  let B: Tenant;
  const conns: Conn[] = [];
  let port: number;
  const open = async () => {
    const c = await Conn.open(port);
    conns.push(c);
    return c;
  };

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { HTTP_MAX_IDLE_CONNECTIONS_PER_ORG: '3', HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG: '0' }),
    );
    port = Number(new URL(t.url).port);
    A = await orgWithRoles(db.owner);
    B = await orgWithRoles(db.owner);
  });

  afterAll(async () => {
    for (const c of conns) c.socket.destroy();
    await t?.close();
    await db?.drop();
  });

  it('closes the org\'s oldest idle connections past the cap; a connection in use again is newest; another org is untouched', async () => {
    const a: Conn[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await open();
      expect(await c.get('/v1/org', A.tokens.viewer)).toBe(200);
      a.push(c);
    }
    // five idle, three allowed: the two oldest are closed by the server (polled, not slept on)
    await expect.poll(() => a.map((c) => c.closed), { timeout: 5000 }).toEqual([true, true, false, false, false]);

    // another org's connections count for it alone
    const b = [await open(), await open()];
    for (const c of b) expect(await c.get('/v1/org', B.tokens.viewer)).toBe(200);
    // a request on A's oldest open connection makes it the newest idle one ...
    expect(await a[2].get('/v1/org', A.tokens.viewer)).toBe(200);
    // ... so a sixth connection of A closes the next oldest, a[3]
    const sixth = await open();
    expect(await sixth.get('/v1/org', A.tokens.viewer)).toBe(200);
    await expect.poll(() => a[3].closed, { timeout: 5000 }).toBe(true);
    expect([a[2].closed, a[4].closed, sixth.closed]).toEqual([false, false, false]);
    expect(b.map((c) => c.closed)).toEqual([false, false]);
    // the connections left open still serve
    expect(await a[4].get('/v1/org', A.tokens.viewer)).toBe(200);
    expect(await b[0].get('/v1/org', B.tokens.viewer)).toBe(200);
  });
});

/**
 * HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG: what an org's idle connections leave unread in the kernel's
 * send queues is capped too; a client that reads its answers keeps its connections, however large
 * the answers were.
 */
describe('unread answer bytes per org', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  const conns: Conn[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    // any unread byte is over the cap
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { HTTP_MAX_IDLE_CONNECTIONS_PER_ORG: '0', HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG: '1' }),
    );
    A = await orgWithRoles(db.owner);
    (t.app.getHttpServer() as import('node:http').Server).on('connection', (sock: Socket) => serverSide.set(sock.remotePort!, sock));
  });

  afterAll(async () => {
    for (const c of conns) c.socket.destroy();
    await t?.close();
    await db?.drop();
  });

  /** The server's side of each client connection, by the client's port. */
  const serverSide = new Map<number, Socket>();
  /** Whether the server has closed its side of `c`. */
  const closedByServer = (c: Conn) => serverSide.get(c.socket.localPort!)?.destroyed ?? false;

  it('resets the connections whose answers lie unread past the cap; readers keep theirs, the newest is kept', async () => {
    const port = Number(new URL(t.url).port);
    // 170,000 control characters: a 1 MB answer (each escaped to 6 bytes), more than a paused client's receive buffer takes
    const item = await request(t.url)
      .post('/v1/knowledge')
      .set('Authorization', `Bearer ${A.tokens.member}`)
      .send({ title: 'ctl', text: '\u0001'.repeat(170_000) })
      .expect(201);
    const path = `/v1/knowledge/${item.body.id}`;
    const readers = [await Conn.open(port), await Conn.open(port)];
    conns.push(...readers);
    // the readers read their large answers back to back: far past the cap by the answers' sizes
    for (let i = 0; i < 4; i++) expect(await readers[i % 2].get(path, A.tokens.viewer)).toBe(200);
    // two clients that never read theirs
    const unread = [await Conn.open(port), await Conn.open(port)];
    conns.push(...unread);
    for (const c of unread) c.send(path, A.tokens.viewer);
    // and the newest, a reader again
    const newest = await Conn.open(port);
    conns.push(newest);
    expect(await newest.get('/v1/org', A.tokens.viewer)).toBe(200);
    // the two unread ones are reset once their grace has passed
    const all = [...readers, ...unread, newest];
    await expect
      .poll(() => all.map(closedByServer), { timeout: IDLE_CAP_GRACE_MS * 3 + 4000 })
      .toEqual([false, false, true, true, false]);
    expect([...readers, newest].map((c) => c.closed)).toEqual([false, false, false]);
    for (const c of readers) expect(await c.get('/v1/org', A.tokens.viewer)).toBe(200);
    // what they had not read was dropped: a reset, not the rest of the answer
    for (const c of unread) {
      c.socket.resume();
      await expect.poll(() => c.reset, { timeout: 5000 }).toBe(true);
    }
  });
});
