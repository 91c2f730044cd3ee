import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { asOrg, asTenant, createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, orgWithRoles, tokenFor } from './support/fixtures.js';
import { textPng } from './support/files.js';
import { dbUrl } from './support/urls.js';
import { STORED_JOB_ROW_BYTES, STORED_ROW_BYTES } from '../src/modules/limits/stored-bytes.js';

type Tenant = Awaited<ReturnType<typeof orgWithRoles>>;
const ROW = STORED_ROW_BYTES;
const JOB_ROW = STORED_JOB_ROW_BYTES;

/**
 * caps.stored_bytes: Postgres counts what each org keeps (org_storage, kept by triggers on item
 * documents and other columns, ingest jobs, upload blobs, messages, thread rows, invitations and
 * the outbox and audit rows beside them, whatever path writes or deletes them), and a write that
 * would take the org past its cap is 429 quota-exceeded with nothing stored. API only: jobs stay
 * queued, so nothing but the requests writes.
 */
describe('caps.stored_bytes', () => {
  let db: TestDb;
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { ROCKER_ROLE: 'api', OCR_SYNC_MAX_PIXELS: '1' }));
    root = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const as = (org: Tenant, r: request.Test) => r.set('Authorization', `Bearer ${org.tokens.member}`);
  const setCap = (org: Tenant, bytes: number | null) =>
    request(t.url).put(`/v1/admin/orgs/${org.org.id}/limits`).set('Authorization', `Bearer ${root}`).send({ caps: { stored_bytes: bytes } }).expect(200);
  /** org_storage's count, and the same sum taken from the tables themselves. */
  const counted = (org: Tenant) =>
    asOrg(db.owner, org.org.id, async (c) => {
      const kept = (await c.query(`SELECT coalesce(sum(bytes), 0)::bigint AS n FROM org_storage`)).rows[0].n;
      const summed = (
        await c.query(
          `SELECT (SELECT coalesce(sum(${ROW} + coalesce(octet_length(content_text), 0) + coalesce(octet_length(content_html), 0)
                    + octet_length(title) + coalesce(octet_length(source_url), 0) + coalesce(octet_length(file_name), 0) + coalesce(octet_length(error), 0)), 0) FROM knowledge_items)
                + (SELECT coalesce(sum(${JOB_ROW} + coalesce(pg_column_size(payload), 0) + coalesce(octet_length(last_error), 0)
                    + coalesce(octet_length(idempotency_key), 0) + coalesce(octet_length(request_id), 0)), 0) FROM ingest_jobs)
                + (SELECT coalesce(sum(${ROW} + octet_length(data)), 0) FROM knowledge_blobs)
                + (SELECT coalesce(sum(${ROW} + octet_length(content)), 0) FROM rocker_messages)
                + (SELECT coalesce(sum(${ROW} + octet_length(title)), 0) FROM rocker_threads)
                + (SELECT coalesce(sum(${ROW} + octet_length(email)), 0) FROM org_invitations)
                + (SELECT coalesce(sum(${ROW} + octet_length(topic) + pg_column_size(payload)), 0) FROM outbox_events)
                + (SELECT coalesce(sum(${ROW} + coalesce(pg_column_size(before), 0) + coalesce(pg_column_size(after), 0) + coalesce(octet_length(request_id), 0)), 0) FROM org_audit_log) AS n`,
        )
      ).rows[0].n;
      return { kept: Number(kept), summed: Number(summed) };
    });
  const thread = async (org: Tenant) => (await as(org, request(t.url).post('/v1/threads').send({ title: 't' })).expect(201)).body.id as string;
  const message = (org: Tenant, threadId: string, content: string) =>
    as(org, request(t.url).post(`/v1/threads/${threadId}/messages`).send({ role: 'user', content }));

  it('counts every document an org keeps, on every path that writes or deletes one', async () => {
    const A = await orgWithRoles(db.owner);
    const B = await orgWithRoles(db.owner);
    // an org starts with its members' audit rows
    const base = await counted(A);
    expect(base.kept).toBe(base.summed);
    expect(base.kept).toBeGreaterThan(0);
    const baseB = await counted(B);

    const th = await thread(A);
    await message(A, th, 'é'.repeat(1000)).expect(201);
    const one = base.kept + 2 * ROW + 1 + 2000; // the thread (title 't') and its message
    expect(await counted(A)).toEqual({ kept: one, summed: one });
    expect((await as(A, request(t.url).get('/v1/org/usage')).expect(200)).body.stored_bytes).toBe(one);

    const text = await as(A, request(t.url).post('/v1/knowledge').send({ title: 'x', text: 'hello world' })).expect(201);
    await as(A, request(t.url).post('/v1/knowledge').send({ title: 'h', html: '<p>some <b>markup</b></p>' })).expect(201);
    const png = textPng(['OCR LATER']);
    const image = await as(A, request(t.url).post('/v1/knowledge/upload')).attach('file', png, 'scan.png').expect(201);
    expect(image.body.job_id).toBeTruthy(); // an ocr job: the blob is kept until it runs
    let now = await counted(A);
    expect(now.kept).toBe(now.summed);
    expect(now.kept).toBeGreaterThan(5 * ROW + 2000 + png.length);

    // deletes subtract, cascades included (a thread's messages, an item's blob)
    await as(A, request(t.url).delete(`/v1/knowledge/${text.body.id}`)).expect(204);
    await as(A, request(t.url).delete(`/v1/threads/${th}`)).expect(204);
    now = await counted(A);
    expect(now.kept).toBe(now.summed);
    await as(A, request(t.url).delete(`/v1/knowledge/${image.body.id}`)).expect(204);
    now = await counted(A);
    expect(now.kept).toBe(now.summed);

    // the other org's count is its own
    expect(await counted(B)).toEqual(baseB);
  });

  it('refuses the write that would take the org past its cap, storing nothing', async () => {
    const A = await orgWithRoles(db.owner);
    const base = (await counted(A)).kept;
    const cap = base + 4 * ROW + 1 + 5000;
    await setCap(A, cap);
    const th = await thread(A);
    await message(A, th, 'a'.repeat(2000)).expect(201);
    await message(A, th, 'b'.repeat(2000)).expect(201);
    const before = await counted(A);
    expect(before.kept).toBe(base + 3 * ROW + 1 + 4000);

    const over = await message(A, th, 'c'.repeat(2000)).expect(429);
    expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(over.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), cap: 'stored_bytes', limit: cap, used: before.kept });
    expect(over.headers['retry-after']).toBeUndefined();
    // every path that stores is refused the same way, and nothing it would have written is kept
    const text = await as(A, request(t.url).post('/v1/knowledge').send({ title: 'x', text: 'd'.repeat(2000) })).expect(429);
    expect(text.body.cap).toBe('stored_bytes');
    await as(A, request(t.url).post('/v1/knowledge').send({ title: 'h', html: `<p>${'e'.repeat(5000)}</p>` })).expect(429);
    await as(A, request(t.url).post('/v1/knowledge/upload')).attach('file', Buffer.from('f'.repeat(5000)), 'notes.txt').expect(429);
    expect(await counted(A)).toEqual(before);
    // what still fits is stored
    await message(A, th, 'small').expect(201);

    // room made by deleting, or a higher cap
    await as(A, request(t.url).delete(`/v1/threads/${th}`)).expect(204);
    expect((await counted(A)).kept).toBe(base);
    await as(A, request(t.url).post('/v1/knowledge').send({ title: 'x', text: 'd'.repeat(2000) })).expect(201);
    await setCap(A, null);
    const limits = await as(A, request(t.url).get('/v1/org/limits')).expect(200);
    expect(limits.body.caps.stored_bytes).toBe(10 * 1024 ** 3);
  });

  it('counts thread rows and invitations (with their audit and outbox rows), and refuses them past the cap', async () => {
    const A = await orgWithRoles(db.owner);
    const admin = (r: request.Test) => r.set('Authorization', `Bearer ${A.tokens.admin}`);
    const base = (await counted(A)).kept;
    const th = await as(A, request(t.url).post('/v1/threads').send({ title: 'é'.repeat(100) })).expect(201);
    expect(await counted(A)).toEqual({ kept: base + ROW + 200, summed: base + ROW + 200 });
    await as(A, request(t.url).patch(`/v1/threads/${th.body.id}`).send({ title: 'short' })).expect(200);
    expect(await counted(A)).toEqual({ kept: base + ROW + 5, summed: base + ROW + 5 });

    const inv = await admin(request(t.url).post('/v1/org/invitations').send({ email: 'new@example.test', role: 'member' })).expect(201);
    let now = await counted(A);
    expect(now.kept).toBe(now.summed);
    expect(now.kept).toBeGreaterThan(base + ROW + 5 + 3 * ROW); // the invitation, its audit row, its outbox event
    await admin(request(t.url).delete(`/v1/org/invitations/${inv.body.id}`)).expect(204); // revoked: one more audit row
    now = await counted(A);
    expect(now.kept).toBe(now.summed);

    // at the cap, neither a thread nor an invitation is stored
    await setCap(A, now.kept + ROW + 10);
    const refusedThread = await as(A, request(t.url).post('/v1/threads').send({ title: 'x'.repeat(200) })).expect(429);
    expect(refusedThread.body).toMatchObject({ type: expect.stringMatching(/\/quota-exceeded$/), cap: 'stored_bytes', used: now.kept });
    const refusedInvite = await admin(request(t.url).post('/v1/org/invitations').send({ email: 'other@example.test', role: 'member' })).expect(429);
    expect(refusedInvite.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refusedInvite.body.cap).toBe('stored_bytes');
    expect(await counted(A)).toEqual(now);
    await as(A, request(t.url).post('/v1/threads').send({ title: 'fits' })).expect(201);
  });

  it("counts an item's title and the ingest job it brings, and refuses items past the cap by them", async () => {
    const A = await orgWithRoles(db.owner);
    const base = (await counted(A)).kept;
    const title = 'T'.repeat(300);
    for (let i = 0; i < 5; i++) await as(A, request(t.url).post('/v1/knowledge').send({ title, text: 'a' })).expect(201);
    const now = await counted(A);
    expect(now.kept).toBe(now.summed);
    // each: its row, its title and one letter, and its embed job's row and payload
    expect(now.kept - base).toBeGreaterThan(5 * (ROW + 300 + 1 + JOB_ROW));
    // a job's error counts once it has one
    await asOrg(db.owner, A.org.id, (c) => c.query(`UPDATE ingest_jobs SET last_error = repeat('e', 1000)`));
    expect((await counted(A)).kept).toBe(now.kept + 5 * 1000);
    // room for one more item of a one-letter text, but not for its title and job
    await setCap(A, now.kept + 5000 + ROW + 1 + 100);
    const refused = await as(A, request(t.url).post('/v1/knowledge').send({ title, text: 'a' }));
    expect(refused.status).toBe(429);
    expect(refused.body.type).toMatch(/quota-exceeded$/);
    await as(A, request(t.url).post('/v1/knowledge').send({ title: 't', text: 'a' })).expect(429); // its job alone is 512
    await setCap(A, null);
  });

  it('validates the cap', async () => {
    const A = await orgWithRoles(db.owner);
    for (const bad of [0, -1, 1.5, 'x', 1e16]) {
      const res = await request(t.url).put(`/v1/admin/orgs/${A.org.id}/limits`).set('Authorization', `Bearer ${root}`).send({ caps: { stored_bytes: bad } });
      expect(res.status).toBe(400);
    }
    const big = await setCap(A, 5e12);
    expect(big.body.caps.stored_bytes).toBe(5e12);
  });

  it('counts a bulk write with no org set (an operator as a superuser), across orgs', async () => {
    const [A, B] = [await orgWithRoles(db.owner), await orgWithRoles(db.owner)];
    const [baseA, baseB] = [(await counted(A)).kept, (await counted(B)).kept];
    const su = db.pool(dbUrl(db.name, 'postgres'), 1);
    await su.query(
      `INSERT INTO knowledge_items (org_id, title, source_kind, status, content_text)
       SELECT org, 'bulk', 'text', 'ready', repeat('x', 100) FROM unnest($1::uuid[]) org, generate_series(1, 3)`,
      [[A.org.id, B.org.id]],
    );
    for (const [org, base] of [[A, baseA], [B, baseB]] as const)
      expect(await counted(org)).toEqual({ kept: base + 3 * (ROW + 4 + 100), summed: base + 3 * (ROW + 4 + 100) }); // title 'bulk'
    await su.query(`DELETE FROM knowledge_items WHERE org_id = $1`, [A.org.id]);
    expect((await counted(A)).kept).toBe(baseA);
    // a changed document (what a crawl or ocr job's setContent does) counts its new size; a status does not move it
    await su.query(`UPDATE knowledge_items SET content_text = repeat('y', 500), content_html = '<p>y</p>' WHERE org_id = $1`, [B.org.id]);
    await su.query(`UPDATE knowledge_items SET status = 'failed' WHERE org_id = $1`, [B.org.id]);
    expect(await counted(B)).toEqual({ kept: baseB + 3 * (ROW + 4 + 508), summed: baseB + 3 * (ROW + 4 + 508) });
    // an item's other columns count too: its error
    await su.query(`UPDATE knowledge_items SET error = 'oops' WHERE org_id = $1`, [B.org.id]);
    expect(await counted(B)).toEqual({ kept: baseB + 3 * (ROW + 8 + 508), summed: baseB + 3 * (ROW + 8 + 508) });
    // an org deleted with everything it keeps takes its count along
    await su.query(`DELETE FROM orgs WHERE id = $1`, [B.org.id]);
    expect((await su.query(`SELECT count(*)::int AS n FROM org_storage WHERE org_id = $1`, [B.org.id])).rows[0].n).toBe(0);
  });

  it('counts a statement of many rows once per org: a thread of 20,000 messages, written in bulk and deleted through the API', async () => {
    const A = await orgWithRoles(db.owner);
    const base = await counted(A);
    const th = await thread(A);
    const su = db.pool(dbUrl(db.name, 'postgres'), 1);
    await su.query(
      `INSERT INTO rocker_messages (org_id, thread_id, role, content) SELECT $1, $2, 'user', 'message ' || g FROM generate_series(1, 20000) g`,
      [A.org.id, th],
    );
    const now = await counted(A);
    expect(now.kept).toBe(now.summed);
    expect(now.kept).toBeGreaterThan(20_000 * ROW);
    await as(A, request(t.url).delete(`/v1/threads/${th}`)).expect(204);
    expect(await counted(A)).toEqual(base);
  });

  it('is read-only for the app role: no statement of the API can forge its org`s count', async () => {
    const A = await orgWithRoles(db.owner);
    const base = (await counted(A)).kept;
    const th = await thread(A);
    await message(A, th, 'hello').expect(201);
    const app = db.pool(db.appDirectUrl, 1);
    for (const sql of [
      `UPDATE org_storage SET bytes = 0`,
      `DELETE FROM org_storage`,
      `INSERT INTO org_storage (org_id, slot, bytes) VALUES ('${A.org.id}', 0, -1000000)`,
    ])
      await expect(asTenant(app, { orgId: A.org.id, userId: A.users.member.id, role: 'member' }, (c) => c.query(sql))).rejects.toThrow(/permission denied/);
    expect((await counted(A)).kept).toBe(base + 2 * ROW + 1 + 5);
  });
});
