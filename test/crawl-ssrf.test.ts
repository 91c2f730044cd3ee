import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkUrl } from '../src/modules/intake/crawl/url-policy.js';
import { parseCidrList } from '../src/modules/intake/crawl/address-policy.js';
import {
  CRAWL_CONTENT_TYPES,
  CRAWL_KEEP_ALIVE_MAX_MS,
  FetchFailure,
  guardedConnector,
  SafeFetcher,
  SafeFetchError,
  SsrfBlockedError,
  type LookupFn,
  type SafeFetchOptions,
} from '../src/modules/intake/crawl/safe-fetch.js';

/**
 * SSRF: every way of writing an internal destination is refused, at submission where it can be
 * judged and again at connect time; redirects and DNS answers are judged the same way.
 * Two loopback servers stand in for the world: 127.0.0.1 plays a public site (allowlisted for the
 * redirect tests) and 127.0.0.2 plays an internal service that must never see a request.
 */

interface Hits {
  count: number;
  paths: string[];
}

function listen(host: string, handler: (path: string, res: import('node:http').ServerResponse) => void): Promise<{ server: Server; port: number; hits: Hits }> {
  const hits: Hits = { count: 0, paths: [] };
  const server = createServer((req, res) => {
    hits.count++;
    hits.paths.push(req.url ?? '');
    handler(req.url ?? '/', res);
  });
  return new Promise((resolve) => server.listen(0, host, () => resolve({ server, port: (server.address() as AddressInfo).port, hits })));
}

const ARTICLE = `<!doctype html><html><head><title>Rocks of the world</title><script>evil()</script></head><body>
<nav>menu menu menu</nav><article><h1>Rocks of the world</h1>
<p>Granite is an igneous rock made mostly of quartz, feldspar and mica. It forms when magma cools slowly underground.</p>
<p>Basalt is a fine-grained volcanic rock that forms from the rapid cooling of lava at the surface of a planet.</p>
<p>Limestone is a sedimentary rock composed largely of calcite, often from the skeletons of marine organisms.</p>
</article><footer>footer text</footer></body></html>`;

describe('SSRF-safe fetcher', () => {
  let pub: Awaited<ReturnType<typeof listen>>;
  let internal: Awaited<ReturnType<typeof listen>>;
  let strict: SafeFetcher;
  let lenient: SafeFetcher;
  let strictOpts: SafeFetchOptions;

  const base = (o: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
    policy: { hosts: [], cidrs: [], ports: [] },
    connectTimeoutMs: 1000,
    totalTimeoutMs: 5000,
    maxBytes: 64 * 1024,
    maxRedirects: 5,
    contentTypes: CRAWL_CONTENT_TYPES,
    ...o,
  });

  // Names resolve in-process: "docs.example.com" plays a public site living on 127.0.0.1.
  const fakeDns: Record<string, string[]> = {
    'docs.example.com': ['127.0.0.1'],
    'internal.example.com': ['127.0.0.2'],
    'metadata.example.com': ['169.254.169.254'],
    'localtest.me': ['127.0.0.1'],
    'mixed.example.com': ['127.0.0.1', '10.0.0.7'],
    'v6loop.example.com': ['::1'],
    'mapped.example.com': ['::ffff:127.0.0.2'],
    '169.254.169.254.nip.io': ['169.254.169.254'], // wildcard DNS services
    '7f000001.rbndr.us': ['127.0.0.1'],
  };
  const lookup: LookupFn = async (h) => {
    const answers = fakeDns[h.replace(/\.$/, '')];
    if (!answers) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  beforeAll(async () => {
    internal = await listen('127.0.0.2', (_p, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('INTERNAL SECRET'));
    pub = await listen('127.0.0.1', (path, res) => {
      const u = new URL(path, 'http://x');
      if (u.pathname === '/article') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ARTICLE);
      if (u.pathname === '/plain') return res.writeHead(200, { 'content-type': 'text/plain' }).end('just text');
      if (u.pathname === '/redirect') return res.writeHead(Number(u.searchParams.get('code') ?? 302), { location: u.searchParams.get('to')! }).end();
      if (u.pathname === '/chain') {
        const n = Number(u.searchParams.get('n'));
        return res.writeHead(302, { location: n > 0 ? `/chain?n=${n - 1}` : '/plain' }).end();
      }
      if (u.pathname === '/big') return res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(200 * 1024));
      if (u.pathname === '/big-chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 200; i++) res.write('y'.repeat(1024));
        return res.end();
      }
      if (u.pathname === '/exe') return res.writeHead(200, { 'content-type': 'application/x-msdownload' }).end('MZ');
      if (u.pathname === '/svg') return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg/>');
      if (u.pathname === '/slow') return void res.writeHead(200, { 'content-type': 'text/plain' }).write('partial'); // never ends
      if (u.pathname === '/silent') return; // never answers
      if (u.pathname === '/500') return res.writeHead(500).end();
      res.writeHead(404).end();
    });
    strictOpts = base({ lookup });
    strict = new SafeFetcher(strictOpts);
    // The test allowlist: 127.0.0.1 and this port only (the "public" server), nothing else.
    lenient = new SafeFetcher(base({ lookup, policy: { hosts: [], cidrs: parseCidrList('127.0.0.1/32'), ports: [pub.port] } }));
  });

  afterAll(async () => {
    await strict?.close();
    await lenient?.close();
    pub?.server.closeAllConnections();
    internal?.server.closeAllConnections();
    await new Promise((r) => pub?.server.close(r));
    await new Promise((r) => internal?.server.close(r));
  });

  // [label, URL]: blocked by the strict fetcher (no allowlist). Every notation of internal targets.
  const blocked: [string, string][] = [
    ['loopback dotted', 'http://127.0.0.1/'],
    ['loopback other host', 'http://127.0.0.2/'],
    ['loopback short form', 'http://127.1/'],
    ['loopback decimal', 'http://2130706433/'],
    ['loopback hex', 'http://0x7f000001/'],
    ['loopback octal dotted', 'http://0177.0.0.1/'],
    ['loopback octal whole', 'http://017700000001/'],
    ['loopback hex dotted', 'http://0x7f.0x0.0x0.0x1/'],
    ['loopback zero-padded', 'http://127.000.000.001/'],
    ['loopback trailing dot', 'http://127.0.0.1./'],
    ['loopback fullwidth digits (IDN)', 'http://１２７．０．０．１/'],
    ['loopback circled digits (IDN)', 'http://①②⑦.0.0.1/'],
    ['unspecified 0.0.0.0', 'http://0.0.0.0/'],
    ['unspecified 0', 'http://0/'],
    ['localhost', 'http://localhost/'],
    ['localhost in circled letters (IDN)', 'http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/'],
    ['metadata in octal', 'http://0251.0376.0251.0376/'],
    ['metadata mapped IPv6 hex', 'http://[::ffff:a9fe:a9fe]/'],
    ['LOCALHOST trailing dot', 'http://LOCALHOST./'],
    ['sub.localhost', 'http://app.localhost/'],
    ['single-label host', 'http://intranet/'],
    ['metadata IPv4', 'http://169.254.169.254/latest/meta-data/'],
    ['metadata decimal', 'http://2852039166/'],
    ['GCP metadata name', 'http://metadata.google.internal/computeMetadata/v1/'],
    ['private 10/8', 'http://10.0.0.1/'],
    ['private 172.16/12', 'http://172.16.5.4/'],
    ['private 192.168/16', 'http://192.168.1.1/'],
    ['CGNAT 100.64/10', 'http://100.64.0.1/'],
    ['IETF 192.0.0/24', 'http://192.0.0.192/'],
    ['documentation 192.0.2/24', 'http://192.0.2.1/'],
    ['documentation 198.51.100/24', 'http://198.51.100.7/'],
    ['documentation 203.0.113/24', 'http://203.0.113.9/'],
    ['benchmark 198.18/15', 'http://198.18.0.1/'],
    ['multicast 224/4', 'http://224.0.0.1/'],
    ['reserved 240/4', 'http://240.0.0.1/'],
    ['broadcast', 'http://255.255.255.255/'],
    ['IPv6 loopback', 'http://[::1]/'],
    ['IPv6 loopback long form', 'http://[0:0:0:0:0:0:0:1]/'],
    ['IPv6 unspecified', 'http://[::]/'],
    ['IPv4-mapped IPv6 dotted', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped IPv6 hex', 'http://[::ffff:7f00:1]/'],
    ['IPv4-mapped metadata', 'http://[::ffff:169.254.169.254]/'],
    ['IPv4-compatible IPv6', 'http://[::127.0.0.1]/'],
    ['NAT64 loopback', 'http://[64:ff9b::127.0.0.1]/'],
    ['NAT64 metadata', 'http://[64:ff9b::a9fe:a9fe]/'],
    ['NAT64 local-use', 'http://[64:ff9b:1::a00:1]/'],
    ['6to4 of loopback', 'http://[2002:7f00:1::1]/'],
    ['Teredo', 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['IPv6 unique-local', 'http://[fc00::1]/'],
    ['AWS IPv6 metadata', 'http://[fd00:ec2::254]/'],
    ['IPv6 site-local', 'http://[fec0::1]/'],
    ['IPv6 multicast', 'http://[ff02::1]/'],
    ['IPv6 documentation', 'http://[2001:db8::1]/'],
    ['credentials', 'http://user:pass@docs.example.com/'],
    ['username only', 'http://user@docs.example.com/'],
    ['non-default port', 'http://docs.example.com:8080/'],
    ['https on port 80', 'https://docs.example.com:80/'],
    ['file scheme', 'file:///etc/passwd'],
    ['gopher scheme', 'gopher://127.0.0.1:6379/_FLUSHALL'],
    ['ftp scheme', 'ftp://docs.example.com/'],
    ['data scheme', 'data:text/html,<script>alert(1)</script>'],
    ['javascript scheme', 'javascript:alert(1)'],
    ['reverse-zone name', 'http://1.0.0.127.in-addr.arpa/'],
    ['.internal zone', 'http://db.internal/'],
  ];

  it(`has at least 40 notations in the submission table (${blocked.length})`, () => {
    expect(blocked.length).toBeGreaterThanOrEqual(40);
  });

  it.each(blocked)('%s (%s) is refused at submission', (_label, url) => {
    expect(checkUrl(url, strictOpts.policy).ok).toBe(false);
  });

  it.each(blocked)('%s (%s) is refused by fetch, the internal server untouched', async (_label, url) => {
    const before = internal.hits.count + pub.hits.count;
    await expect(strict.fetch(url)).rejects.toBeInstanceOf(SsrfBlockedError);
    expect(internal.hits.count + pub.hits.count).toBe(before);
  });

  // The connect-time layer on its own (what a URL that slipped past submission meets).
  const atConnect: [string, string, string][] = [
    ['literal loopback', '127.0.0.1', 'http:'],
    ['literal internal', '127.0.0.2', 'http:'],
    ['literal metadata', '169.254.169.254', 'http:'],
    ['literal private', '10.1.2.3', 'https:'],
    ['literal IPv6 loopback', '[::1]', 'http:'],
    ['literal IPv4-mapped', '[::ffff:7f00:2]', 'http:'],
    ['literal NAT64', '[64:ff9b::7f00:1]', 'http:'],
    ['name resolving to loopback (localtest.me)', 'localtest.me', 'http:'],
    ['name resolving to internal', 'internal.example.com', 'http:'],
    ['name resolving to metadata', 'metadata.example.com', 'https:'],
    ['name resolving to ::1', 'v6loop.example.com', 'http:'],
    ['name resolving to mapped IPv6', 'mapped.example.com', 'http:'],
    ['mixed public/private answer', 'mixed.example.com', 'http:'],
    ['localhost by name', 'localhost', 'http:'],
    ['wildcard DNS name for metadata (nip.io)', '169.254.169.254.nip.io', 'http:'],
    ['rebinding-service name answering loopback', '7f000001.rbndr.us', 'http:'],
  ];
  it.each(atConnect)('connect-time check refuses %s', async (_label, hostname, protocol) => {
    const connect = guardedConnector(base({ lookup, policy: { hosts: [], cidrs: [], ports: [internal.port] } }));
    const err = await new Promise<Error | null>((resolve) =>
      connect({ hostname, protocol, port: String(internal.port) }, (e, socket) => {
        socket?.destroy();
        resolve(e);
      }),
    );
    expect(err).toBeInstanceOf(SsrfBlockedError);
  });

  it('a public-looking name on the test allowlist is fetched, reduced to its article text', async () => {
    const doc = await lenient.fetch(`http://docs.example.com:${pub.port}/article`);
    expect(doc.status).toBe(200);
    expect(doc.contentType).toBe('text/html');
    expect(doc.body.toString()).toContain('Granite is an igneous rock');
    // The html pool's worker function, called directly (the pool only moves it off the event loop).
    const { readable } = await import('../src/modules/intake/content/html-worker.js');
    const { text, title } = readable(doc.body.toString());
    expect(title).toBe('Rocks of the world');
    expect(text).toContain('Basalt is a fine-grained volcanic rock');
    expect(text).not.toContain('evil()');
  });

  it('an allowlisted site may redirect to another allowed page', async () => {
    const doc = await lenient.fetch(`http://127.0.0.1:${pub.port}/redirect?to=/plain`);
    expect(doc.body.toString()).toBe('just text');
    expect(doc.redirects).toBe(1);
  });

  // Redirects from the allowlisted site to internal places: each hop is judged again.
  const redirects = (): [string, string][] => [
    ['metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['internal host same port', `http://127.0.0.2:${pub.port}/`],
    ['internal host its port', `http://127.0.0.2:${internal.port}/`],
    ['localhost', `http://localhost:${pub.port}/`],
    ['IPv6 loopback', `http://[::1]:${pub.port}/`],
    ['hex loopback other host', `http://0x7f000002:${pub.port}/`],
    ['decimal internal', `http://2130706434:${pub.port}/`],
    ['name resolving internal', `http://internal.example.com:${pub.port}/`],
    ['mapped IPv6 internal', `http://[::ffff:127.0.0.2]:${pub.port}/`],
    ['protocol-relative internal', `//127.0.0.2:${pub.port}/`],
    ['file scheme', 'file:///etc/passwd'],
    ['gopher', `gopher://127.0.0.2:${internal.port}/`],
    ['credentials', `http://a:b@127.0.0.1:${pub.port}/plain`],
    ['same host, port not allowed', `http://127.0.0.1:${internal.port}/`],
  ];

  it('redirect table has its cases', () => expect(redirects().length).toBeGreaterThanOrEqual(12));

  for (const code of [301, 302, 303, 307, 308]) {
    it(`${code} redirects to internal destinations are refused`, async () => {
      for (const [label, to] of redirects()) {
        const before = internal.hits.count;
        const err = await lenient.fetch(`http://127.0.0.1:${pub.port}/redirect?code=${code}&to=${encodeURIComponent(to)}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, label).toBeInstanceOf(SsrfBlockedError);
        expect(internal.hits.count, label).toBe(before);
      }
    });
  }

  it('more than 5 redirects is refused', async () => {
    await expect(lenient.fetch(`http://127.0.0.1:${pub.port}/chain?n=5`)).rejects.toMatchObject({ failure: FetchFailure.TooManyRedirects });
    const ok = await lenient.fetch(`http://127.0.0.1:${pub.port}/chain?n=4`);
    expect(ok.redirects).toBe(5);
  });

  it('a rebinding resolver cannot move the socket after the check', async () => {
    // Alternates: allowed answer, then internal, then allowed... A check-then-connect design
    // that resolves twice would reach 127.0.0.2; here the checked answer is the one connected to.
    let calls = 0;
    const rebinding: LookupFn = async () => {
      calls++;
      return [{ address: calls % 2 === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const f = new SafeFetcher(base({ lookup: rebinding, policy: { hosts: [], cidrs: parseCidrList('127.0.0.1/32'), ports: [pub.port] } }));
      const before = internal.hits.count;
      outcomes.push(
        await f.fetch(`http://rebind.example.com:${pub.port}/plain`).then(
          (d) => d.body.toString(),
          (e: unknown) => (e instanceof SsrfBlockedError ? 'blocked' : String(e)),
        ),
      );
      expect(internal.hits.count).toBe(before);
      await f.close();
    }
    expect(calls).toBe(4); // one resolution per connection, no second lookup to race
    expect(outcomes).toEqual(['just text', 'blocked', 'just text', 'blocked']);
  });

  it('a resolver answering an internal address for a public-looking name is refused', async () => {
    await expect(lenient.fetch(`http://internal.example.com:${pub.port}/plain`)).rejects.toBeInstanceOf(SsrfBlockedError);
    await expect(lenient.fetch(`http://mixed.example.com:${pub.port}/plain`)).rejects.toBeInstanceOf(SsrfBlockedError);
  });

  it('CRAWL_ALLOW_HOSTS exempts a name from the name rules but not its address from the address rules', async () => {
    const f = new SafeFetcher(base({ policy: { hosts: ['localhost'], cidrs: [], ports: [pub.port] } }));
    await expect(f.fetch(`http://localhost:${pub.port}/plain`)).rejects.toBeInstanceOf(SsrfBlockedError);
    await f.close();
  });

  it('content types outside HTML, text and PDF are refused', async () => {
    for (const p of ['/exe', '/svg']) {
      await expect(lenient.fetch(`http://127.0.0.1:${pub.port}${p}`)).rejects.toMatchObject({ failure: FetchFailure.UnsupportedContentType });
    }
  });

  it('bodies over the cap are refused, declared or streamed', async () => {
    await expect(lenient.fetch(`http://127.0.0.1:${pub.port}/big`)).rejects.toMatchObject({ failure: FetchFailure.TooLarge });
    await expect(lenient.fetch(`http://127.0.0.1:${pub.port}/big-chunked`)).rejects.toMatchObject({ failure: FetchFailure.TooLarge });
  });

  it('a server that never answers hits the total time limit (transient: retried); one that sends too slowly too, for good', async () => {
    const f = new SafeFetcher(base({ totalTimeoutMs: 300, policy: { hosts: [], cidrs: parseCidrList('127.0.0.1/32'), ports: [pub.port] } }));
    const silent = await f.fetch(`http://127.0.0.1:${pub.port}/silent`).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(SafeFetchError);
    expect(silent).toMatchObject({ failure: FetchFailure.Timeout, transient: true });
    // its document begun and never finished: a retry would hold a crawl worker as long again
    const slow = await f.fetch(`http://127.0.0.1:${pub.port}/slow`).catch((e: unknown) => e);
    expect(slow).toMatchObject({ failure: FetchFailure.Timeout, transient: false, message: expect.stringMatching(/\(7 bytes came\): its server sends too slowly$/) });
    await f.close();
  });

  it('a site asking to keep its connection open for 10 minutes has it closed within CRAWL_KEEP_ALIVE_MAX_MS of idleness', async () => {
    const open = new Set<import('node:net').Socket>();
    const site = createServer((_q, res) =>
      res.writeHead(200, { 'content-type': 'text/plain', 'keep-alive': 'timeout=600' }).end('kept'),
    );
    site.keepAliveTimeout = 600_000; // the server would keep it: only the fetcher can close it
    site.on('connection', (sock) => {
      open.add(sock);
      sock.once('close', () => open.delete(sock));
    });
    const port = await new Promise<number>((r) => site.listen(0, '127.0.0.1', () => r((site.address() as AddressInfo).port)));
    const f = new SafeFetcher(base({ policy: { hosts: [], cidrs: parseCidrList('127.0.0.1/32'), ports: [port] } }));
    try {
      expect((await f.fetch(`http://127.0.0.1:${port}/`)).body.toString()).toBe('kept');
      expect(open.size).toBe(1);
      const fetchedAt = performance.now();
      await expect.poll(() => open.size, { timeout: CRAWL_KEEP_ALIVE_MAX_MS + 6_000, interval: 100 }).toBe(0);
      expect(performance.now() - fetchedAt).toBeLessThan(CRAWL_KEEP_ALIVE_MAX_MS + 2_000);
    } finally {
      await f.close();
      site.closeAllConnections();
      await new Promise((r) => site.close(r));
    }
  });

  it('5xx is a transient failure, 404 a final one', async () => {
    await expect(lenient.fetch(`http://127.0.0.1:${pub.port}/500`)).rejects.toMatchObject({ failure: FetchFailure.HttpStatus, transient: true });
    await expect(lenient.fetch(`http://127.0.0.1:${pub.port}/nope`)).rejects.toMatchObject({ failure: FetchFailure.HttpStatus, transient: false });
  });
});

describe('SSRF-safe fetcher over IPv6', () => {
  it('an allowlisted IPv6 loopback server is reachable, by literal and by name', async () => {
    const server = createServer((_q, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('six'));
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    expect(ok, 'IPv6 loopback available').toBe(true);
    const port = (server.address() as AddressInfo).port;
    const f = new SafeFetcher({
      policy: { hosts: [], cidrs: parseCidrList('::1/128'), ports: [port] },
      connectTimeoutMs: 1000,
      totalTimeoutMs: 5000,
      maxBytes: 1024,
      maxRedirects: 5,
      contentTypes: CRAWL_CONTENT_TYPES,
      lookup: async () => [{ address: '::1', family: 6 }],
    });
    try {
      expect((await f.fetch(`http://[::1]:${port}/`)).body.toString()).toBe('six');
      expect((await f.fetch(`http://six.example.com:${port}/`)).body.toString()).toBe('six');
    } finally {
      await f.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
