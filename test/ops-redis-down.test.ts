import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor, TEST_ENV_VARS } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { createUser, tokenFor } from './support/fixtures.js';
import { until } from './support/wait.js';
import { OwnRedis } from './support/redis-server.js';

const METRICS = `Bearer ${TEST_ENV_VARS.METRICS_TOKEN}`;

/** Redis outage as the operator sees it: rocker_redis_up drops and recovers; the board degrades cleanly. */
describe('operability while Redis is down', () => {
  let db: TestDb;
  let redis: OwnRedis;
  let t: TestApp;
  let rootToken: string;

  const redisUp = async (): Promise<string | undefined> => {
    const res = await request(t.url).get('/metrics').set('Authorization', METRICS);
    return /^rocker_redis_up (\d)$/m.exec(res.text)?.[1];
  };

  beforeAll(async () => {
    db = await createTestDb();
    redis = await OwnRedis.start();
    t = await startApp(envFor(db.appUrl, db.ownerUrl, { REDIS_URL: redis.url }));
    rootToken = await tokenFor(await createUser(db.owner, { superAdmin: true }));
  });

  afterAll(async () => {
    await redis?.start().catch(() => undefined);
    await t?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('rocker_redis_up is 1, then 0 while Redis is down, then 1 again', async () => {
    expect(await redisUp()).toBe('1');
    await redis.stop();
    await until(async () => ((await redisUp()) === '0' ? true : undefined), 20_000, 'rocker_redis_up 0', 250);
    // the rest of /metrics still answers while Redis is down
    const res = await request(t.url).get('/metrics').set('Authorization', METRICS).expect(200);
    expect(res.text).toMatch(/^rocker_db_up 1$/m);

    const board = await request(t.url).get('/admin/queues/api/queues').set('Authorization', `Bearer ${rootToken}`);
    expect(board.status).toBe(503);
    expect(board.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(board.headers['retry-after']).toBe('5');
    expect(board.body.request_id).toBeTruthy();

    await redis.start();
    await until(async () => ((await redisUp()) === '1' ? true : undefined), 20_000, 'rocker_redis_up 1', 250);
    await until(async () => {
      const r = await request(t.url).get('/admin/queues/api/queues').set('Authorization', `Bearer ${rootToken}`);
      return r.status === 200 ? true : undefined;
    }, 20_000, 'the board to answer again', 250);
  }, 60_000);
});
