import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { uploadPastAnswer } from '../../../test/support/net.js';
import { installLingeringClose } from './lingering-close.js';

/**
 * The lingering close on a plain Node server that refuses every upload without reading it (as the
 * early guards do): 400 with `Connection: close`. The client sends the rest of its body after the
 * answer; a reset shows as the error its later writes meet.
 */
describe('installLingeringClose', () => {
  let server: Server | undefined;
  let served = 0;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });

  const start = async (install: (s: Server) => void): Promise<string> => {
    served = 0;
    server = createServer((_req, res) => {
      served++;
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' });
      res.end('refused');
    });
    install(server);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const upload = (url: string) =>
    uploadPastAnswer(url, { path: '/', headers: { 'content-type': 'application/octet-stream' }, length: 512 * 1024, first: Buffer.alloc(1024, 0x61) });

  it('lingers while affordable: the client sends the rest, reads the answer and meets no reset', async () => {
    const out = await upload(await start((s) => installLingeringClose(s, 5000, () => true)));
    expect(out.response.status).toBe(400);
    expect(out.error).toBeUndefined();
    expect(out.serverEnded).toBe(true);
  });

  it('closes at once when not affordable (a saturated instance): the rest of the body meets a reset', async () => {
    const out = await upload(await start((s) => installLingeringClose(s, 5000, () => false)));
    expect(out.response.status).toBe(400);
    expect(out.error).toMatch(/^(EPIPE|ECONNRESET)$/);
  });

  it("each caller's budget: past its burst, a refused upload is closed at once; a request that arrived whole takes none of it", async () => {
    const url = await start((s) => installLingeringClose(s, 5000, () => true, { burst: 2, perSecond: 0.001 }));
    // whole requests with Connection: close (nothing left to read) close at once and cost no budget
    for (let i = 0; i < 3; i++) {
      const answer = await new Promise<string>((resolve, reject) => {
        const { port } = new URL(url);
        let raw = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        socket.on('data', (d) => (raw += d.toString('latin1')));
        socket.on('error', reject);
        socket.on('close', () => resolve(raw));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400 [^]*connection: close/i);
    }
    const outs = [];
    for (let i = 0; i < 3; i++) outs.push(await upload(url));
    expect(outs.map((o) => o.response.status)).toEqual([400, 400, 400]);
    expect(outs[0].error).toBeUndefined();
    expect(outs[1].error).toBeUndefined();
    expect(outs[2].error).toMatch(/^(EPIPE|ECONNRESET)$/);
  });

  it('nothing behind the refused request runs: a request pipelined after its body is discarded, not served', async () => {
    const port = Number(new URL(await start((s) => installLingeringClose(s, 5000, () => true))).port);
    const raw = await new Promise<string>((resolve, reject) => {
      let got = '';
      const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
        // the refused request's whole body, then a second request, in one write
        socket.write(`POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n${'x'.repeat(65536)}GET /b HTTP/1.1\r\nHost: x\r\n\r\n`);
      });
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('refused')) socket.end(); // the answer is in: the client closes its side
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(served).toBe(1);
  });

  it('0 turns it off', async () => {
    const out = await upload(await start((s) => installLingeringClose(s, 0, () => true)));
    expect(out.error).toMatch(/^(EPIPE|ECONNRESET)$/);
  });
});
