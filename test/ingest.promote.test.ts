import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { notParked } from '../src/modules/ingest/ingest.processor.js';
import { REDIS_URL } from './support/urls.js';

/**
 * A released ingest slot wakes the org's next parked job with BullMQ's promote, by id, without
 * reading the job first. An id that is no longer delayed (finished, removed, already due) is
 * refused by the script and the processor tries the next parked one; any other error stops it.
 * notParked tells the two apart by the script's error code: checked here against the real scripts,
 * so an upgrade that changes them fails this test rather than silently stranding parked jobs.
 */
describe('promote refusals of BullMQ (notParked)', () => {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(`promote-${randomUUID()}`, { connection, prefix: 'rocker-test' });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  });

  it('a delayed job is promoted; a waiting one and an unknown id are refused with the codes notParked knows', async () => {
    const delayed = await queue.add('x', {}, { delay: 60_000 });
    await queue.backend.promote(delayed.id!);
    expect(await queue.getJobState(delayed.id!)).toBe('waiting');

    const notDelayed = await queue.backend.promote(delayed.id!).then(() => undefined, (e: Error) => e);
    expect(notDelayed).toBeInstanceOf(Error);
    expect(notParked(notDelayed)).toBe(true);
    const unknown = await queue.backend.promote('no-such-job').then(() => undefined, (e: Error) => e);
    expect(notParked(unknown)).toBe(true);
    expect(notParked(new Error('Connection is closed.'))).toBe(false);
  });
});
