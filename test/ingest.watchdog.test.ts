import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { orgWithRoles } from './support/fixtures.js';
import { countByStatus, createSimTable, insertJobs } from './support/ingest.js';
import { until } from './support/wait.js';
import { withSimHandlers } from './support/sim-handlers.js';
import { IngestProcessor } from '../src/modules/ingest/ingest.processor.js';
import { JobKind } from '../src/modules/ingest/ingest.types.js';
import { workerRestarts } from '../src/common/metrics/metrics.js';
import type { Redis } from 'ioredis';

const WATCHDOG_MS = 6000;

/**
 * A worker that stops taking jobs while it still reports running (what a Redis Cluster failover
 * left behind on a loaded box: connections that never deliver again) is replaced by the watchdog,
 * and the jobs waiting for it run. The wedge is real: the worker's connection stops reading its
 * socket, so every command on it waits for good while the client still says `ready`. The
 * replacement must come on a connection of its own (on the old one it would wedge too).
 */
describe('ingest worker watchdog (real Redis and BullMQ)', () => {
  let db: TestDb;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDb();
    await createSimTable(db.owner);
    app = await startApp(
      envFor(db.appUrl, db.ownerUrl, {
        INGEST_WATCHDOG_MS: String(WATCHDOG_MS),
        // The wedged worker's moveToActive reached Redis before its reply was lost: that job is
        // active under the dead worker's lock until BullMQ's stalled check hands it on.
        INGEST_LOCK_MS: '2000',
        INGEST_DISPATCH_INTERVAL_MS: '200',
        RATE_LIMIT_ENABLED: 'false',
      }),
      { override: withSimHandlers },
    );
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const restarts = async () =>
    (await workerRestarts.get()).values.filter((v) => v.labels.queue === JobKind.Ocr).reduce((n, v) => n + v.value, 0);

  it('a worker that starts none of the jobs waiting for it is replaced within INGEST_WATCHDOG_MS and a check, and the jobs run', async () => {
    const processor = app.app.get(IngestProcessor);
    const A = await orgWithRoles(db.owner);
    // live first: jobs run, nothing is replaced
    const first = await insertJobs(db.owner, A.org.id, 3, { work_ms: 5 });
    await until(async () => (await countByStatus(db.owner, A.org.id, first)).succeeded === 3, 20_000, 'the first jobs done');
    const before = await restarts();

    const wedged = processor.workerOf(JobKind.Ocr)!;
    const socket = (wedged.connection as Redis).stream;
    socket.pause();
    expect(wedged.connection.status).toBe('ready');
    const t0 = Date.now();
    const ids = await insertJobs(db.owner, A.org.id, 10, { work_ms: 5 });
    await until(async () => (await countByStatus(db.owner, A.org.id, ids)).succeeded === 10, 30_000, 'every job done by the replacement');
    const tookMs = Date.now() - t0;

    const now = processor.workerOf(JobKind.Ocr)!;
    expect(now.worker).not.toBe(wedged.worker);
    expect(now.connection).not.toBe(wedged.connection);
    // the wedged connection is closed with its worker (nothing left waiting on it)
    await until(() => wedged.connection.status === 'end', 10_000, 'the wedged connection closed');
    expect(await restarts()).toBe(before + 1);
    // not before the watchdog's time: the jobs waited for the paused worker until it was replaced
    expect(tookMs).toBeGreaterThanOrEqual(WATCHDOG_MS);
    expect(tookMs).toBeLessThan(WATCHDOG_MS * 3);
    // the other kinds' workers were live (empty queues): untouched
    expect((await workerRestarts.get()).values.filter((v) => v.labels.queue !== JobKind.Ocr && v.value > 0)).toEqual([]);
  }, 60_000);
});
