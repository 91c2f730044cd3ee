import { connect, createServer, type AddressInfo } from 'node:net';

/** A port that was free a moment ago on loopback (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A request over a raw socket: the head, then only `sent` bytes of a body announced as `length`
 * bytes, then nothing more (the upload stalls). Resolves with the server's answer, which can only
 * come before the body is complete if the server answered without reading it.
 */
export function stalledUpload(url: string, opts: { method?: string; path: string; headers: Record<string, string>; length: number; sent: Buffer }) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined); // the server may reset the stalled upload once it has answered
  const head = [
    `${opts.method ?? 'POST'} ${opts.path} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    `Content-Length: ${opts.length}`,
    ...Object.entries(opts.headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  socket.write(head);
  socket.write(opts.sent);
  let raw = '';
  const response = new Promise<RawResponse>((resolve, reject) => {
    socket.on('data', (d) => {
      raw += d.toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      const body = raw.slice(end + 4);
      if (body.length >= Number(headers['content-length'] ?? 0))
        resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.on('close', () => reject(new Error(`closed before a full response: ${JSON.stringify(raw.slice(0, 200))}`)));
    // an answer that waits for the body never comes while the upload stalls
    setTimeout(() => reject(new Error('no answer within 10 s while the upload stalled')), 10_000).unref();
  });
  return { socket, response, isClosed: () => closed };
}
