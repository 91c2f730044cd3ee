import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

type ServerSocket = Socket & { _httpMessage?: unknown };

/** A connection that has sent nothing and has no request in progress. */
const unused = (s: ServerSocket) => s.bytesRead === 0 && !s._httpMessage;

/**
 * At shutdown, connections that never sent a request are closed at once. Node's `server.close()`
 * (with Fastify's `forceCloseConnections: 'idle'`) closes keep-alive connections between two
 * requests, but not one opened and never used (a load balancer's or a client's pre-opened
 * connection): the close waited for it until the keep-alive timeout (72 s), so with one such
 * connection every SIGTERM ran into SHUTDOWN_GRACE_MS and the process exited by force. A
 * connection with a request in progress is left to finish; one part way through its headers is
 * bounded by HTTP_HEADERS_TIMEOUT_MS. A connection accepted while the server closes is closed too.
 */
export function installCloseUnused(fastify: FastifyInstance): void {
  const sockets = new Set<ServerSocket>();
  let closing = false;
  fastify.server.on('connection', (s: ServerSocket) => {
    if (closing) return void s.destroy();
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  fastify.addHook('preClose', (done) => {
    closing = true;
    for (const s of sockets) if (unused(s)) s.destroy();
    done();
  });
}
