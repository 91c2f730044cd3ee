import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { fairKey } from '../fair/fair-scheduler.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { connectionKey, unsentBytes } from './unsent-bytes.js';

/** One idle connection's last answer: its bytes, and when it was sent. */
interface Idle {
  bytes: number;
  at: number;
}

/** One org's connections idle after an answer, oldest first. */
interface IdleOrg {
  sockets: Map<Socket, Idle>;
  bytes: number;
}

/**
 * How long a connection stays idle before the cap may reset it: a client reusing its connections
 * takes each again well within it, so a reset does not meet its next request, as a keep-alive
 * timeout of this length would not. Also the least time between two reads of the kernel's queues.
 */
export const IDLE_CAP_GRACE_MS = 1000;

/**
 * Bounds what one org (or a user without one) leaves on this instance's idle keep-alive
 * connections: at most `maxCount` of them, and at most `maxBytes` of their answers unread (in the
 * kernel's send queues, read from /proc; where it cannot be read, the answers' whole size). Past
 * either, the org's oldest connection idle for IDLE_CAP_GRACE_MS (for `maxBytes`, the oldest with
 * unread bytes) is reset, dropping what its client has not read; never its newest.
 *
 * Node counts an answer as sent once the kernel has taken it: a client that never reads leaves it
 * in the host's TCP buffers, which every connection on the host shares (Postgres', Redis', other
 * orgs'), until the keep-alive timeout. 400 connections each holding an unread 1 MB answer took
 * 547 MB of kernel memory for 72 s, well within one org's `api` rate. A connection is counted for
 * the org of the last request it carried, from when that request's answer is sent until its next
 * request arrives or it closes. Only unread bytes count: a pool that reads its large answers and
 * keeps its connections is never reset for their size (a client of 32 connections reading 9 MiB
 * items met resets on reuse when the answers' sizes counted).
 */
export function installIdleCap(fastify: FastifyInstance, limits: { maxCount: number; maxBytes: number }): void {
  const maxCount = limits.maxCount > 0 ? limits.maxCount : Infinity;
  const maxBytes = limits.maxBytes > 0 ? limits.maxBytes : Infinity;
  if (maxCount === Infinity && maxBytes === Infinity) return;
  const idle = new Map<string, IdleOrg>();
  const ownerOf = new WeakMap<Socket, string>();
  /** The socket's bytes written when its current request arrived: its answer is what follows. */
  const writtenAt = new WeakMap<Socket, number>();
  /** Orgs to look at again: over a cap with connections idle too briefly, or over `maxBytes` by their answers' sizes. */
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let lastCheck = -Infinity;
  let closed = false;
  const release = (s: Socket) => {
    const key = ownerOf.get(s);
    if (key === undefined) return;
    ownerOf.delete(s);
    const org = idle.get(key)!;
    org.bytes -= org.sockets.get(s)?.bytes ?? 0;
    org.sockets.delete(s);
    if (!org.sockets.size) idle.delete(key);
  };
  const reset = (s: Socket) => {
    release(s);
    // a reset, not a close: a closed socket keeps its unsent bytes in the kernel (an orphan) until
    // the client reads them; a reset drops them at once
    s.resetAndDestroy();
  };
  const later = (key: string, inMs: number) => {
    pending.add(key);
    if (!timer && !closed) timer = setTimeout(sweep, Math.max(0, inMs)).unref();
  };
  /** The count cap, at once: the org's oldest connections idle past the grace, while it has too many. */
  const trimCount = (key: string, org: IdleOrg, now: number) => {
    while (org.sockets.size > 1 && org.sockets.size > maxCount) {
      const [oldest, { at }] = org.sockets.entries().next().value as [Socket, Idle];
      if (now - at < IDLE_CAP_GRACE_MS) return later(key, IDLE_CAP_GRACE_MS - (now - at));
      reset(oldest);
    }
  };
  /**
   * The bytes cap, from the kernel's queues: each idle connection's count becomes what its client
   * has left unread; while the org's unread bytes pass the cap, its oldest connection with some,
   * idle past the grace, is reset.
   */
  const trimBytes = (key: string, org: IdleOrg, unsent: Map<string, number> | undefined, now: number) => {
    if (unsent)
      for (const [s, e] of org.sockets) {
        const unread = unsent.get(connectionKey(s.localPort ?? 0, s.remotePort ?? 0)) ?? 0;
        org.bytes += unread - e.bytes;
        e.bytes = unread;
      }
    let wait = Infinity;
    for (const [s, { bytes, at }] of org.sockets) {
      if (org.bytes <= maxBytes || org.sockets.size <= 1) return;
      if (bytes <= 0) continue;
      if (now - at < IDLE_CAP_GRACE_MS) {
        wait = Math.min(wait, IDLE_CAP_GRACE_MS - (now - at));
        continue;
      }
      reset(s);
    }
    if (org.bytes > maxBytes && wait < Infinity) later(key, wait);
  };
  const sweep = () => {
    timer = undefined;
    const keys = [...pending];
    pending.clear();
    const now = performance.now();
    for (const k of keys) {
      const org = idle.get(k);
      if (org) trimCount(k, org, now);
    }
    const overBytes = keys.filter((k) => (idle.get(k)?.bytes ?? 0) > maxBytes);
    if (!overBytes.length) return;
    // at most one read of the kernel's queues a grace: a flood of answers does not read /proc each
    const since = now - lastCheck;
    if (since < IDLE_CAP_GRACE_MS) {
      for (const k of overBytes) later(k, IDLE_CAP_GRACE_MS - since);
      return;
    }
    lastCheck = now;
    void unsentBytes().then((unsent) => {
      const at = performance.now();
      for (const k of overBytes) {
        const org = idle.get(k);
        if (org) trimBytes(k, org, unsent, at);
      }
    });
  };
  fastify.addHook('onClose', (_app, done) => {
    closed = true;
    clearTimeout(timer);
    done();
  });
  fastify.server.on('connection', (s: Socket) => s.once('close', () => release(s)));
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
    const now = performance.now();
    org.sockets.set(s, { bytes, at: now });
    org.bytes += bytes;
    ownerOf.set(s, key);
    trimCount(key, org, now);
    // over the bytes cap by its answers' sizes: the kernel says what is unread, once the grace has passed
    if (org.bytes > maxBytes) later(key, IDLE_CAP_GRACE_MS);
    done();
  });
}
