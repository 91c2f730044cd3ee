import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, asOrg, type TestDb } from './support/db.js';
import { envFor, slicesOf } from './support/env.js';
import { createOrg } from './support/fixtures.js';
import { insertJobs, waitFor } from './support/ingest.js';
import { ADMIN_URL } from './support/urls.js';
import { IngestOutboxRepository } from '../src/modules/ingest/ingest-outbox.repository.js';
import { CLAIM_LOCK_KEY } from '../src/migrations/1764100300000-IngestJobs.js';
import type { OutboxRow } from '../src/modules/ingest/queue.config.js';

/**
 * The outbox claim on its own (no app, no dispatcher polling): one statement on the server, so the
 * claim lock is never held while the queue is called; a failed send gives the rows back.
 */
describe('ingest outbox claim', () => {
  let db: TestDb;
  let outbox: IngestOutboxRepository;
  let admin: pg.Client;
  let orgId: string;

  const dispatched = async (ids: string[]) =>
    asOrg(
      db.owner,
      orgId,
      async (c) =>
        (
          await c.query(
            `SELECT count(*)::int AS n FROM ingest_jobs WHERE id = ANY($1) AND dispatched_at IS NOT NULL`,
            [ids],
          )
        ).rows[0].n as number,
    );
  /** Sessions of this database holding (granted) or queued on (not granted) the claim lock, read as the superuser. */
  const lockRows = async (granted: boolean) =>
    (
      await admin.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
          WHERE l.locktype = 'advisory' AND l.granted = $3 AND d.datname = $1 AND ((l.classid::bigint << 32) | l.objid::bigint) = $2::bigint`,
        [db.name, CLAIM_LOCK_KEY, granted],
      )
    ).rows[0].n as number;

  beforeAll(async () => {
    db = await createTestDb();
    const { ingest, database, process: proc } = slicesOf(envFor(db.appUrl, db.ownerUrl, { INGEST_DISPATCH_WINDOW: '2', INGEST_ORG_CONCURRENCY: '2' }));
    outbox = new IngestOutboxRepository(ingest, database, proc);
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    orgId = (await createOrg(db.owner)).id;
  });
  afterAll(async () => {
    await outbox?.onApplicationShutdown();
    await admin?.end();
    await db?.drop();
  });

  it('claims up to the org window, commits before sending, and the claim lock is free while the queue is called', async () => {
    const ids = await insertJobs(db.owner, orgId, 6);
    const seen: { rows: OutboxRow[]; held: boolean; marked: number }[] = [];
    const n = await outbox.claim(async (rows) => {
      seen.push({ rows, held: (await lockRows(true)) > 0, marked: await dispatched(ids) });
    }, 100);
    expect(n).toBe(4); // limit 2 × window 2
    expect(seen).toHaveLength(1);
    expect(seen[0].held).toBe(false);
    expect(seen[0].marked).toBe(4); // committed (visible to another session) before the send
    expect(seen[0].rows.map((r) => r.lane_rank)).toEqual([1, 2, 3, 4]);
    expect(await outbox.claim(async () => undefined, 100)).toBe(0); // the window is full
  });

  it('a send that fails gives the rows back: undispatched, claimed again by the next pass', async () => {
    const other = (await createOrg(db.owner)).id;
    const prev = orgId;
    orgId = other;
    try {
      const ids = await insertJobs(db.owner, other, 3);
      await expect(
        outbox.claim(() => Promise.reject(new Error('queue did not answer in time')), 100),
      ).rejects.toThrow('queue did not answer');
      expect(await dispatched(ids)).toBe(0);
      const again: string[] = [];
      expect(await outbox.claim(async (rows) => void again.push(...rows.map((r) => r.id)), 100)).toBe(3);
      expect(again.sort()).toEqual([...ids].sort());
    } finally {
      orgId = prev;
    }
  });

  it('while another claim holds the lock: a refill (wait=false) answers null at once; a waiting claim goes ahead once it is released', async () => {
    const other = (await createOrg(db.owner)).id;
    await insertJobs(db.owner, other, 1);
    const holder = new pg.Client({ connectionString: db.ownerUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock($1::bigint)`, [CLAIM_LOCK_KEY]);
      expect(await outbox.claim(async () => undefined, 100, false)).toBeNull();
      let done = false;
      const waiting = outbox.claim(async () => undefined, 100, true).then((n) => ((done = true), n));
      await waitFor('the claim to queue on the lock', async () => (await lockRows(false)) > 0);
      expect(done).toBe(false);
      await holder.query(`SELECT pg_advisory_unlock($1::bigint)`, [CLAIM_LOCK_KEY]);
      expect(await waiting).toBe(1);
    } finally {
      await holder.end();
    }
  });
});
