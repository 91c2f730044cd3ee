import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { connect } from 'node:net';
import { asOrg, createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { until } from './support/wait.js';
import { Admission } from '../src/common/admission/admission.js';

/**
 * Turns (Admission.turn): while another org uses the instance, an org offering far more than its
 * share runs one request at a time (bodyless, or with a body within ADMISSION_TURN_BODY_MAX); its
 * next waits, uncharged, and the other org's requests do not wait behind it.
 */
describe('an org flooding a shared instance takes turns', () => {
  let db: TestDb;
  let t: TestApp;
  let quiet: Awaited<ReturnType<typeof orgWithRoles>>;
  let noisy: Awaited<ReturnType<typeof orgWithRoles>>;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', ADMISSION_ORG_CONCURRENCY: '1', ADMISSION_TURN_BODY_MAX: '150' }));
    quiet = await orgWithRoles(db.owner);
    noisy = await orgWithRoles(db.owner);
  });

  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const get = (token: string, path: string) => fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const waiting = async (org: string) => {
    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ENV_VARS.METRICS_TOKEN}` } });
    const m = new RegExp(`^rocker_admission_waiting\\{org="${org}"\\} (\\d+)$`, 'm').exec(await res.text());
    return m ? Number(m[1]) : 0;
  };

  /**
   * With `table` locked: sends `first` (as `org`), which blocks on the lock holding its org's turn,
   * then `second`; answers whether the second reached the lock too (ran at once) rather than
   * waiting for its turn. Both must then be answered `status`.
   */
  const secondRunsAtOnce = async (table: string, org: string, first: () => Promise<Response>, second: () => Promise<Response>, status: number): Promise<boolean> => {
    const blocked = async () =>
      (await db.owner.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted`, [table])).rows[0].n as number;
    const locker: pg.PoolClient = await db.owner.connect();
    let a: Promise<Response> | undefined;
    let b: Promise<Response> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      a = first();
      await until(async () => (await blocked()) > 0, 5_000, 'the first request waiting on the lock', 20);
      b = second();
      await until(async () => (await blocked()) === 2 || (await waiting(org)) === 1, 5_000, 'the second request placed', 20);
      return (await blocked()) === 2;
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
      expect((await a)?.status).toBe(status);
      expect((await b)?.status).toBe(status);
    }
  };

  it('holds the flooding org\'s second request until its first is answered; the other org passes meanwhile', async () => {
    expect((await get(quiet.tokens.member, '/v1/org')).status).toBe(200); // the instance is shared
    for (let i = 0; i < 10; i++) expect((await get(noisy.tokens.member, '/v1/org')).status).toBe(200); // far over half
    // the noisy org's first read blocks in the database (its table locked), holding the org's turn
    const locker: pg.PoolClient = await db.owner.connect();
    let first: Promise<Response> | undefined;
    let second: Promise<Response> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE rocker_threads IN ACCESS EXCLUSIVE MODE');
      first = get(noisy.tokens.member, '/v1/threads');
      await until(async () => (await locker.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'rocker_threads'::regclass AND NOT granted`)).rows[0].n > 0, 5_000, 'the first read waiting on the lock', 20);
      second = get(noisy.tokens.member, '/v1/threads');
      await until(async () => (await waiting(noisy.org.id)) === 1, 5_000, 'the second read waiting for its turn', 20);
      // not in the database: only the first one waits on the lock
      expect((await locker.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'rocker_threads'::regclass AND NOT granted`)).rows[0].n).toBe(1);
      // the other org is not held back behind the flood
      expect((await get(quiet.tokens.member, '/v1/org')).status).toBe(200);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(await waiting(noisy.org.id)).toBe(0);
  });

  it('a request with a small or chunked body takes turns too, and one declared past ADMISSION_TURN_BODY_MAX once its body is read', async () => {
    const poster = await orgWithRoles(db.owner);
    /** `chunked`: the body streamed without a length (Transfer-Encoding: chunked). */
    const post = (title: string, chunked = false) => {
      const body = JSON.stringify({ title });
      return fetch(`${t.url}/v1/threads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${poster.tokens.member}`, 'content-type': 'application/json' },
        ...(chunked
          ? { body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body)), c.close()) }), duplex: 'half' }
          : { body }),
      } as RequestInit);
    };
    /** With the poster over its share and its first small POST blocked in the database: does a second POST of `title` run at once? */
    const runsAtOnce = async (title: string, chunked = false): Promise<boolean> => {
      expect((await get(quiet.tokens.member, '/v1/org')).status).toBe(200);
      for (let i = 0; i < 10; i++) expect((await get(poster.tokens.member, '/v1/org')).status).toBe(200);
      return secondRunsAtOnce('rocker_threads', poster.org.id, () => post('small'), () => post(title, chunked), 201);
    };
    expect(await runsAtOnce('t'.repeat(20))).toBe(false); // 33 bytes: waits for its turn
    expect(await runsAtOnce('t'.repeat(190))).toBe(false); // 203 bytes: waits for its turn once read
    expect(await runsAtOnce('t'.repeat(190), true)).toBe(false); // the same body without a length: no escape
    expect(await waiting(poster.org.id)).toBe(0);
  });

  it('a large body its client is still sending holds no turn: the org\'s other requests run meanwhile', async () => {
    const poster = await orgWithRoles(db.owner);
    expect((await get(quiet.tokens.member, '/v1/org')).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await get(poster.tokens.member, '/v1/org')).status).toBe(200); // over its share
    // searches: a costly route's cap is never widened on an idle loop (Admission.cap), so a held turn would hold the next
    const search = (query: string) => JSON.stringify({ query, k: 3 });
    const body = search('q'.repeat(190)); // past ADMISSION_TURN_BODY_MAX
    const admission = t.app.get(Admission);
    const before = admission.stats().total;
    const { port } = new URL(t.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(
        `POST /v1/search/private HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${poster.tokens.member}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`,
      );
      await until(async () => admission.stats().total > before, 5_000, 'the slow request admitted', 5);
      // the slow client's request is in (admitted, its body still coming): the org's next search is not held behind it
      let status = 0;
      const next = fetch(`${t.url}/v1/search/private`, {
        method: 'POST',
        headers: { authorization: `Bearer ${poster.tokens.member}`, 'content-type': 'application/json' },
        body: search('small'),
      }).then((r) => (status = r.status));
      await until(async () => status > 0 || (await waiting(poster.org.id)) > 0, 15_000, 'the next search answered or held', 5);
      expect(await waiting(poster.org.id)).toBe(0);
      expect(await next).toBe(200);
      expect(answer).toBe('');
      socket.write(body.slice(20));
      await until(async () => answer.startsWith('HTTP/1.1 200'), 15_000, 'the slow request answered');
    } finally {
      socket.destroy();
    }
    expect(await waiting(poster.org.id)).toBe(0);
  });

  it('counts a large answer into its org\'s load: the same few reads, of a 2 MiB item, put it over its share', async () => {
    const reader = await orgWithRoles(db.owner);
    const item = (text: string) =>
      asOrg(db.owner, reader.org.id, async (c) =>
        (await c.query<{ id: string }>(`INSERT INTO knowledge_items (org_id, title, source_kind, content_text) VALUES ($1, 't', 'text', $2) RETURNING id`, [reader.org.id, text])).rows[0].id,
      );
    const small = await item('short');
    const large = await item('x'.repeat(2 * 1024 * 1024));
    /** After the other org's 20 reads and the reader's 3 of `id`: do two more of the reader's reads run at once? */
    const twoAtOnce = async (id: string): Promise<boolean> => {
      for (let i = 0; i < 20; i++) expect((await get(quiet.tokens.member, '/v1/org')).status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const res = await get(reader.tokens.member, `/v1/knowledge/${id}`);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const read = () => get(reader.tokens.member, `/v1/knowledge/${small}`);
      return secondRunsAtOnce('knowledge_items', reader.org.id, read, read, 200);
    };
    // small answers: 3 reads beside 20 are within the reader's share
    expect(await twoAtOnce(small)).toBe(true);
    // the same count of reads, each a 2 MiB answer (32 reads' worth once sent): the reader takes turns
    expect(await twoAtOnce(large)).toBe(false);
    expect(await waiting(reader.org.id)).toBe(0);
  });
});
