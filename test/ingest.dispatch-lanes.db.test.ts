import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsOptions, Queue } from 'bullmq';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, slicesOf } from './support/env.js';
import { createOrg } from './support/fixtures.js';
import { insertJobs, waitFor } from './support/ingest.js';
import { IngestOutboxRepository } from '../src/modules/ingest/ingest-outbox.repository.js';
import { IngestDispatcher } from '../src/modules/ingest/ingest.dispatcher.js';
import { IngestQueues } from '../src/modules/ingest/ingest.queues.js';
import { JobKind } from '../src/modules/ingest/ingest.types.js';
import type { QueueJobData } from '../src/modules/ingest/queue.config.js';
import { RedisFactory, type RedisClient } from '../src/redis/redis.factory.js';

/**
 * The dispatcher's two lanes, on real Postgres and BullMQ: a new job is claimed and handed to the
 * queue while a refill pass is still handing its jobs over (here held at the queue's door), so a
 * quiet org's new job never waits for a busy org's refills to reach Redis.
 */
describe('ingest dispatcher lanes', () => {
  let db: TestDb;
  let outbox: IngestOutboxRepository;
  let queues: IngestQueues;
  let redis: RedisClient;
  let dispatcher: IngestDispatcher;
  /** Job ids each addBulk was given, in call order; the first call waits for `open`. */
  const sends: string[][] = [];
  let open!: () => void;
  const door = new Promise<void>((resolve) => (open = resolve));

  beforeAll(async () => {
    db = await createTestDb();
    const s = slicesOf(
      envFor(db.appUrl, db.ownerUrl, { INGEST_DISPATCH_WINDOW: '2', INGEST_ORG_CONCURRENCY: '2' }),
    );
    outbox = new IngestOutboxRepository(s.ingest, s.database, s.process);
    const factory = new RedisFactory(s.redis, s.process);
    redis = factory.create('lanes-test');
    queues = new IngestQueues(factory, s.redis);
    const held = (real: Queue): Queue =>
      Object.create(real, {
        addBulk: {
          value: async (jobs: { name: string; data: QueueJobData; opts?: JobsOptions }[]) => {
            const call = sends.push(jobs.map((j) => j.data.job_id));
            if (call === 1) await door;
            return real.addBulk(jobs);
          },
        },
      }) as Queue;
    const gated = {
      get: (kind: JobKind) => held(queues.get(kind)!),
      all: () => queues.all(),
    } as unknown as IngestQueues;
    dispatcher = new IngestDispatcher(outbox, s.ingest, s.redis, redis, gated);
    await waitFor('redis ready', async () => redis.status === 'ready', 10_000);
  });
  afterAll(async () => {
    open?.();
    await dispatcher?.onApplicationShutdown();
    await Promise.allSettled((queues?.all() ?? []).map((q) => q.obliterate({ force: true })));
    await queues?.onApplicationShutdown();
    redis?.disconnect();
    await outbox?.onApplicationShutdown();
    await db?.drop();
  });

  it("a new job reaches the queue while a refill pass is still handing over another org's jobs", async () => {
    const busy = (await createOrg(db.owner)).id;
    const quiet = (await createOrg(db.owner)).id;
    const refills = await insertJobs(db.owner, busy, 3, {}, { kind: JobKind.Ocr });
    dispatcher.kick(true); // a refill pass: its hand-over waits at the door
    await waitFor('the refill pass at the queue', async () => sends.length === 1);
    expect(sends[0].sort()).toEqual(refills.slice().sort());

    const [fresh] = await insertJobs(db.owner, quiet, 1, {}, { kind: JobKind.Ocr });
    dispatcher.kick(); // the quiet org's NOTIFY
    await waitFor(
      'the new job in the queue',
      async () => !!(await queues.get(JobKind.Ocr)!.getJob(fresh)),
      10_000,
    );
    expect(sends.slice(1).flat()).toContain(fresh);
    expect(await queues.get(JobKind.Ocr)!.getJob(refills[0])).toBeUndefined(); // the refills are still held

    open();
    await waitFor('the refills in the queue', async () => {
      const got = await Promise.all(refills.map((id) => queues.get(JobKind.Ocr)!.getJob(id)));
      return got.every(Boolean);
    });
  });
});
