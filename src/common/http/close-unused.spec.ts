import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { settlesWithin } from '../../../test/support/wait.js';
import { installCloseUnused } from './close-unused.js';

/**
 * A real Fastify server on loopback with a keep-alive timeout far above the test's bound: its
 * close must not wait for a connection that never sent a request, and must still let a request in
 * progress finish.
 */
describe('installCloseUnused', () => {
  let app: FastifyInstance | undefined;
  const open: Socket[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    app?.server.closeAllConnections();
    await app?.close();
    app = undefined;
  });

  const start = async (install: boolean, handler: () => Promise<string> = async () => 'ok') => {
    app = Fastify({ keepAliveTimeout: 60_000 });
    if (install) installCloseUnused(app);
    app.get('/', handler);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  };
  const silent = async (port: number) => {
    const s = connect(port, '127.0.0.1');
    open.push(s);
    await new Promise((r) => s.once('connect', r));
    return s;
  };

  it('closes at once beside a connection that never sent a request', async () => {
    const port = await start(true);
    const s = await silent(port);
    // accepted in order: once a later connection's request is answered, the server has this one
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const closed = new Promise((r) => s.once('close', r));
    expect(await settlesWithin(app!.close(), 2000)).toBe(true);
    expect(await settlesWithin(closed, 1000)).toBe(true);
    app = undefined;
  });

  it('without it the close waits for that connection (why it exists)', async () => {
    const port = await start(false);
    await silent(port);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const closing = app!.close();
    expect(await settlesWithin(closing, 1000)).toBe(false);
  });

  it('a request in progress when the close begins is answered', async () => {
    let release!: () => void;
    let arrived!: () => void;
    const inHandler = new Promise<void>((r) => (arrived = r));
    const port = await start(true, () => {
      arrived();
      return new Promise<string>((r) => (release = () => r('late but whole')));
    });
    const res = fetch(`http://127.0.0.1:${port}/`);
    await inHandler;
    const closing = app!.close();
    release();
    const answer = await res;
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('late but whole');
    expect(await settlesWithin(closing, 2000)).toBe(true);
    app = undefined;
  });
});
