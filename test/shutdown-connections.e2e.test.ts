import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { createTestDb, type TestDb } from './support/db.js';
import { envFor } from './support/env.js';
import { startApp, type TestApp } from './support/app.js';
import { settlesWithin } from './support/wait.js';

/**
 * The service's close (what SIGTERM runs) does not wait for a connection that never sent a request
 * (a balancer's pre-opened one): before, it waited out the keep-alive timeout (72 s) and the process
 * exited by force at SHUTDOWN_GRACE_MS.
 */
describe('shutdown beside a connection that never sent a request', () => {
  let db: TestDb;
  let t: TestApp | undefined;
  let socket: Socket | undefined;

  beforeAll(async () => {
    db = await createTestDb();
    t = await startApp(envFor(db.appUrl, db.ownerUrl));
  });

  afterAll(async () => {
    socket?.destroy();
    await t?.close();
    await db?.drop();
  });

  it('closes within 2 s and closes that connection', async () => {
    const { port } = new URL(t!.url);
    socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket!.once('connect', r));
    // accepted in order: once a later connection's request is answered, the server has this one
    expect((await fetch(`${t!.url}/health/live`)).status).toBe(200);
    const closed = new Promise((r) => socket!.once('close', r));
    const closing = t!.close();
    t = undefined;
    expect(await settlesWithin(closing, 2000)).toBe(true);
    expect(await settlesWithin(closed, 1000)).toBe(true);
  });
});
