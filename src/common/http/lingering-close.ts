import type { Server } from 'node:http';
import { Socket } from 'node:net';

const closeNow = Socket.prototype.destroySoon;

/**
 * A lingering close (as Apache and nginx do it) for every connection the server ends after an
 * answer: Node's HTTP server ends a `Connection: close` response with `socket.destroySoon()`, which
 * closes the socket once the answer is written. When the client is still sending (a body refused
 * before it was read: the early guards' 401/403/429, a JSON body refused by its shape, a 413), the
 * bytes that arrive after that close make the kernel answer with a reset, and a client that sends
 * its whole body before it reads (most do) sees `ECONNRESET` instead of the answer. Here the server
 * half-closes instead (its FIN follows the answer), keeps reading and discarding what still comes
 * (the rest of the body reaches the request already dumped), and closes when the client closes its
 * side or after `lingerMs`, whichever is first. A client that has already closed its side is closed
 * at once, as before; 0 turns the lingering off.
 */
export function installLingeringClose(server: Server, lingerMs: number): void {
  if (lingerMs <= 0) return;
  function destroySoon(this: Socket): void {
    if (this.readableEnded || !this.readable || this.destroyed) return closeNow.call(this);
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), lingerMs);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  }
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = destroySoon;
  });
}
