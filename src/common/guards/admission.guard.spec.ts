import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { Admission } from '../admission/admission.js';
import { NoTurn } from '../decorators/turn.decorator.js';
import { RateLimit, RatePolicy } from '../decorators/rate-limit.decorator.js';
import { AdmissionGuard } from './admission.guard.js';

/** A context the guard can read: a bodyless GET of `orgId` (else with `headers`) to `handler`, answered on `res`. */
function contextOf(res: ServerResponse, orgId: string, headers: Record<string, string> = {}, handler: (...args: never[]) => unknown = contextOf): ExecutionContext {
  const req = { headers, tenant: { orgId, userId: 'u' } };
  return {
    getHandler: () => handler,
    getClass: () => AdmissionGuard,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({ raw: res }) }),
  } as unknown as ExecutionContext;
}

describe(AdmissionGuard.name, () => {
  it('ends a timed read when its response is handed to the socket, not when a slow client has read it', async () => {
    const ended: { body: string; servedAt?: number; at: number }[] = [];
    const charged: [string, number][] = [];
    const admission = {
      admit: (_key: string, _weight: number, _offered: number, body: string) => (servedAt?: number) =>
        ended.push({ body, servedAt, at: performance.now() }),
      charge: (key: string, weight: number) => charged.push([key, weight]),
    } as unknown as Admission;
    const guard = new AdmissionGuard(new Reflector(), admission);
    const body = Buffer.alloc(16 * 1024 * 1024, 'x'); // far more than the socket buffers hold
    let handed = 0;
    const server = createServer((_req, res) => {
      guard.canActivate(contextOf(res, 'org-1'));
      res.end(body);
      handed = performance.now();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    try {
      await once(client, 'connect');
      client.pause(); // reads nothing yet
      client.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      // the response is stuck in the socket's buffers until the client reads
      await expect.poll(() => handed, { timeout: 5000 }).toBeGreaterThan(0);
      expect(ended).toEqual([]);
      const resumed = performance.now();
      client.resume();
      client.on('data', () => undefined);
      await expect.poll(() => ended.length, { timeout: 5000 }).toBe(1);
      expect(ended[0].body).toBe('none'); // a plain read: timed
      expect(ended[0].at).toBeGreaterThanOrEqual(resumed); // the in-flight count ends at close...
      expect(ended[0].servedAt).toBeDefined();
      expect(ended[0].servedAt!).toBeLessThan(resumed); // ...the timing when the response was handed over
      // once sent, the 16 MiB answer counts into its org's offered load: one plain read per 64 KiB
      expect(charged).toEqual([['org-1', 256]]);
    } finally {
      client.destroy();
      server.close();
      server.closeAllConnections();
    }
  });

  it('a small JSON body waits for its turn, a costly route\'s as costly; an upload and a @NoTurn route (a long stream) do not', async () => {
    const turns: string[] = [];
    const admission = {
      admit: () => () => undefined,
      bodyClass: (bytes: number, _chunked: boolean, upload: boolean) => (upload ? 'large' : bytes <= 1024 ? 'small' : 'large'),
      turn: (key: string, _gone: () => boolean, costly: boolean) => (turns.push(costly ? `${key} (costly)` : key), () => undefined),
    } as unknown as Admission;
    const guard = new AdmissionGuard(new Reflector(), admission);
    const res = { destroyed: false, once: () => undefined } as unknown as ServerResponse;
    class Streams {
      @NoTurn()
      speak() {}
      @RateLimit(RatePolicy.Search)
      search() {}
    }
    const json = { 'content-length': '40', 'content-type': 'application/json' };
    for (const [org, headers, handler] of [
      ['json', json, contextOf],
      ['upload', { 'content-length': '40', 'content-type': 'multipart/form-data; boundary=x' }, contextOf],
      ['stream', json, Streams.prototype.speak],
      ['search', json, Streams.prototype.search],
    ] as const) {
      const c = contextOf(res, org, headers, handler);
      guard.canActivate(c);
      await guard.awaitTurn(c);
    }
    expect(turns).toEqual(['json', 'search (costly)']); // a costly route's cap is never widened (Admission.cap)
  });

  it('a request whose client went away before admission is admitted and ended at once (its close came already)', () => {
    const ended: (number | undefined)[] = [];
    let inFlight = 0;
    const admission = {
      admit: () => {
        inFlight++;
        return (servedAt?: number) => {
          inFlight--;
          ended.push(servedAt);
        };
      },
    } as unknown as Admission;
    const guard = new AdmissionGuard(new Reflector(), admission);
    const gone = { destroyed: true, once: () => undefined } as unknown as ServerResponse;
    expect(guard.canActivate(contextOf(gone, 'org-1'))).toBe(true);
    expect(inFlight).toBe(0);
    expect(ended).toEqual([undefined]); // untimed
  });
});
