import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { fairKey } from '../fair/fair-scheduler.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';

/** One org's connections idle after an answer, oldest first, each with its last answer's bytes. */
interface IdleOrg {
  sockets: Map<Socket, number>;
  bytes: number;
}

/**
 * Bounds what one org (or a user without one) leaves on this instance's idle keep-alive
 * connections: at most `maxCount` of them, and at most `maxBytes` of answers sent on them; past
 * either, the org's oldest idle connection is reset (whatever of its last answer the client has not
 * read yet is dropped with it), never its newest.
 *
 * Node counts an answer as sent once the kernel has taken it: a client that never reads leaves it
 * in the host's TCP buffers, which every connection on the host shares (Postgres', Redis', other
 * orgs'), until the keep-alive timeout. 400 connections each holding an unread 1 MB answer took
 * 552 MB of kernel memory for 72 s, well within one org's `api` rate. A connection is counted for
 * the org of the last request it carried, from when that request's answer is sent until its next
 * request arrives or it closes.
 */
export function installIdleCap(fastify: FastifyInstance, limits: { maxCount: number; maxBytes: number }): void {
  const maxCount = limits.maxCount > 0 ? limits.maxCount : Infinity;
  const maxBytes = limits.maxBytes > 0 ? limits.maxBytes : Infinity;
  if (maxCount === Infinity && maxBytes === Infinity) return;
  const idle = new Map<string, IdleOrg>();
  const ownerOf = new WeakMap<Socket, string>();
  /** The socket's bytes written when its current request arrived: its answer is what follows. */
  const writtenAt = new WeakMap<Socket, number>();
  const watched = new WeakSet<Socket>();
  const release = (s: Socket) => {
    const key = ownerOf.get(s);
    if (key === undefined) return;
    ownerOf.delete(s);
    const org = idle.get(key)!;
    org.bytes -= org.sockets.get(s) ?? 0;
    org.sockets.delete(s);
    if (!org.sockets.size) idle.delete(key);
  };
  // a request on an idle connection makes it busy again (its next answer counts it anew)
  // (ahead of Fastify's own listener, so that nothing of the answer is written yet)
  fastify.server.prependListener('request', (req: { socket: Socket }) => {
    release(req.socket);
    writtenAt.set(req.socket, req.socket.bytesWritten);
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    const tenant = (request as { tenant?: TenantContext }).tenant;
    const s = request.raw.socket;
    if (!tenant?.userId || !s || s.destroyed) return done();
    const key = fairKey(tenant);
    release(s);
    let org = idle.get(key);
    if (!org) idle.set(key, (org = { sockets: new Map(), bytes: 0 }));
    const bytes = Math.max(0, s.bytesWritten - (writtenAt.get(s) ?? s.bytesWritten));
    org.sockets.set(s, bytes);
    org.bytes += bytes;
    ownerOf.set(s, key);
    if (!watched.has(s)) {
      watched.add(s);
      s.once('close', () => release(s));
    }
    while (org.sockets.size > 1 && (org.sockets.size > maxCount || org.bytes > maxBytes)) {
      const oldest = org.sockets.keys().next().value as Socket;
      release(oldest);
      // a reset, not a close: a closed socket keeps its unsent bytes in the kernel (an orphan) until
      // the client reads them; a reset drops them at once
      oldest.resetAndDestroy();
    }
    done();
  });
}
