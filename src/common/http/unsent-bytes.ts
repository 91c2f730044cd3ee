import { readFile } from 'node:fs/promises';

/** `<local port>:<remote port>` of a TCP connection, as unsentBytes() keys it. */
export const connectionKey = (localPort: number, remotePort: number): string => `${localPort}:${remotePort}`;

/**
 * The bytes each TCP connection of this network namespace has in its kernel send queue (sent by
 * the process, not yet acknowledged by the peer: an answer its client has not read), from
 * /proc/self/net/tcp and tcp6, keyed by connectionKey; only connections with some. Undefined where
 * /proc is not readable (not Linux): callers fall back to what they counted themselves.
 */
export async function unsentBytes(): Promise<Map<string, number> | undefined> {
  const out = new Map<string, number>();
  let read = false;
  for (const file of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch {
      continue;
    }
    read = true;
    parseInto(text, out);
  }
  return read ? out : undefined;
}

/** Lines `sl local:port remote:port st tx_queue:rx_queue ...`, hexadecimal; adds those with a tx_queue. */
export function parseInto(text: string, out: Map<string, number>): void {
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !f[0].endsWith(':')) continue;
    const tx = parseInt(f[4].slice(0, f[4].indexOf(':')), 16);
    if (!(tx > 0)) continue;
    const local = parseInt(f[1].slice(f[1].lastIndexOf(':') + 1), 16);
    const remote = parseInt(f[2].slice(f[2].lastIndexOf(':') + 1), 16);
    const key = connectionKey(local, remote);
    out.set(key, (out.get(key) ?? 0) + tx);
  }
}
