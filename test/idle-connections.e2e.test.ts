import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;

/** A raw keep-alive connection: sends requests one at a time and knows when the server closed it. */
class Conn {
  closed = false;
  /** Closed by a reset (the server dropped what was left unsent), not a FIN. */
  reset = false;
  private buf = '';
  private waiting?: () => void;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.waiting?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (this.reset ||= e.code === 'ECONNRESET'));
    socket.once('close', () => (this.closed = true));
  }

  static async open(port: number): Promise<Conn> {
    const s = connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return new Conn(s);
  }

  /** Bytes of the last answer, headers included. */
  answerBytes = 0;

  /** One GET, answered whole (status line, headers and a Content-Length body); the status. */
  async get(path: string, token: string): Promise<number> {
    this.buf = '';
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(this.buf)?.[1];
      if (end >= 0 && length !== undefined && Buffer.byteLength(this.buf.slice(end + 4)) >= Number(length)) {
        this.answerBytes = Buffer.byteLength(this.buf);
        return Number(this.buf.slice(9, 12));
      }
      if (this.closed) throw new Error('closed before the answer');
      await new Promise<void>((r) => (this.waiting = r));
      this.waiting = undefined;
    }
  }
}

/**
 * HTTP_MAX_IDLE_CONNECTIONS_PER_ORG: an org's keep-alive connections idle after an answer are
 * capped per instance; past the cap its oldest idle one is closed (an answer the kernel took and
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

/** HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG: the bytes of answers left on an org's idle connections are capped too. */
describe('idle answer bytes per org', () => {
  let db: TestDb;
  let t: TestApp;
  let A: Tenant;
  const conns: Conn[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    // room for one answer of GET /v1/org, not two
    t = await startApp(
      envFor(db.appUrl, db.ownerUrl, { HTTP_MAX_IDLE_CONNECTIONS_PER_ORG: '0', HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG: '600' }),
    );
    A = await orgWithRoles(db.owner);
  });

  afterAll(async () => {
    for (const c of conns) c.socket.destroy();
    await t?.close();
    await db?.drop();
  });

  it("closes the org's oldest idle connection once their answers pass the bytes cap, never its newest", async () => {
    const port = Number(new URL(t.url).port);
    for (let i = 0; i < 3; i++) {
      const c = await Conn.open(port);
      conns.push(c);
      expect(await c.get('/v1/org', A.tokens.viewer)).toBe(200);
      expect(c.answerBytes).toBeGreaterThan(300); // each answer is more than half the cap
      // only the newest is left open
      await expect.poll(() => conns.map((x) => x.closed), { timeout: 5000 }).toEqual(conns.map((_, j) => j < i));
    }
    // reset, not closed: a FIN would leave an unread answer in the kernel until the client reads it
    expect(conns.map((c) => c.reset)).toEqual([true, true, false]);
  });
});

