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

/** A request head with a Content-Length, as the raw-socket helpers send it. */
function requestHead(method: string, url: URL, path: string, length: number, headers: Record<string, string>): string {
  return [
    `${method} ${path} HTTP/1.1`,
    `Host: ${url.hostname}:${url.port}`,
    `Content-Length: ${length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
}

/** The whole answer in `raw` (latin1), or undefined while its head or body is still arriving. */
export function parseAnswer(raw: string): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const body = raw.slice(end + 4);
  if (body.length < Number(headers['content-length'] ?? 0)) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * A request over a raw socket: the head, then only `sent` bytes of a body announced as `length`
 * bytes, then nothing more (the upload stalls). Resolves with the server's answer, which can only
 * come before the body is complete if the server answered without reading it.
 */
export function stalledUpload(url: string, opts: { method?: string; path: string; headers: Record<string, string>; length: number; sent: Buffer }) {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined); // the server may reset the stalled upload once it has answered
  socket.write(requestHead(opts.method ?? 'POST', target, opts.path, opts.length, opts.headers));
  socket.write(opts.sent);
  let raw = '';
  const response = new Promise<RawResponse>((resolve, reject) => {
    socket.on('data', (d) => {
      raw += d.toString('latin1');
      const answer = parseAnswer(raw);
      if (answer) resolve(answer);
    });
    socket.on('close', () => reject(new Error(`closed before a full response: ${JSON.stringify(raw.slice(0, 200))}`)));
    // an answer that waits for the body never comes while the upload stalls
    setTimeout(() => reject(new Error('no answer within 10 s while the upload stalled')), 10_000).unref();
  });
  return { socket, response, isClosed: () => closed };
}

export interface RefusedUploadOutcome {
  response: RawResponse;
  /** The socket error the rest of the body met (a reset: the server closed without reading), if any. */
  error?: string;
  /** The server half-closed (its FIN arrived) after its answer. */
  serverEnded: boolean;
}

/**
 * A client that keeps sending after an early answer, as one that writes its whole body before
 * reading does: the head and `first` bytes of a body announced as `length`; once the whole answer
 * has arrived, the rest of the body in 64 KiB writes (each waited for), then its own FIN. Resolves
 * when the socket closes, with the answer and the error the later writes met, if any. Half-open: the
 * server's FIN does not end the client's side, so the writes after it still go out.
 */
export function uploadPastAnswer(
  url: string,
  opts: { path: string; headers: Record<string, string>; length: number; first: Buffer },
): Promise<RefusedUploadOutcome> {
  const target = new URL(url);
  const socket = connect({ port: Number(target.port), host: target.hostname, allowHalfOpen: true });
  return new Promise<RefusedUploadOutcome>((resolve, reject) => {
    let raw = '';
    let response: RawResponse | undefined;
    let error: string | undefined;
    let serverEnded = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 15 s; answer so far ${JSON.stringify(raw.slice(0, 200))}`));
    }, 15_000);
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? String(e)));
    socket.on('end', () => (serverEnded = true));
    socket.on('close', () => {
      clearTimeout(timer);
      if (response) resolve({ response, error, serverEnded });
      else reject(new Error(`closed before a full answer (${error ?? 'no error'}): ${JSON.stringify(raw.slice(0, 200))}`));
    });
    const sendRest = async () => {
      const chunk = Buffer.alloc(64 * 1024, opts.first.at(-1) ?? 0x20);
      for (let sent = opts.first.length; sent < opts.length && !socket.destroyed; sent += chunk.length) {
        const piece = chunk.subarray(0, Math.min(chunk.length, opts.length - sent));
        await new Promise<void>((done) => socket.write(piece, () => done()));
      }
      if (!socket.destroyed) socket.end();
    };
    socket.on('data', (d) => {
      raw += d.toString('latin1');
      if (response) return;
      response = parseAnswer(raw);
      if (response) void sendRest();
    });
    socket.write(requestHead('POST', target, opts.path, opts.length, opts.headers));
    socket.write(opts.first);
  });
}
