import { Resolver } from 'node:dns/promises';
import { Agent, buildConnector, request } from 'undici';
import { checkAddress, parseCidrList, parseIpLiteral } from './address-policy.js';
import { checkHostName, checkUrl, defaultPort, parseUrl, type UrlPolicy } from './url-policy.js';
import type { IntakeConfig } from '../../../config/slices.js';

/**
 * An outbound HTTP GET that cannot be pointed at the inside of the network.
 *
 * The decisive check sits in the dispatcher's `connect`: the host is resolved there, every
 * answer is checked, and the socket is opened to the checked address itself (never re-resolved),
 * so DNS rebinding between check and connect has nothing to race. Literal hosts are checked the
 * same way. Redirects are followed by hand, each hop judged again (scheme, credentials, port,
 * name, then the connect-time address check).
 */

export enum FetchFailure {
  SsrfBlocked = 'ssrf-blocked',
  Timeout = 'timeout',
  TooLarge = 'too-large',
  UnsupportedContentType = 'unsupported-content-type',
  HttpStatus = 'http-status',
  TooManyRedirects = 'too-many-redirects',
  Network = 'network',
}

export class SafeFetchError extends Error {
  constructor(
    public readonly failure: FetchFailure,
    message: string,
    /** Worth retrying later (timeouts, 5xx, network), as opposed to a final refusal. */
    public readonly transient = false,
  ) {
    super(message);
  }
}

export class SsrfBlockedError extends SafeFetchError {
  constructor(reason: string) {
    super(FetchFailure.SsrfBlocked, reason);
  }
}

export type LookupFn = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface SafeFetchOptions {
  policy: UrlPolicy;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** Content types accepted (media type only, lower case). */
  contentTypes: string[];
  /** DNS resolution; injectable so tests can fake a rebinding resolver. */
  lookup?: LookupFn;
}

export interface FetchedDocument {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string;
  charset: string | undefined;
  body: Buffer;
  redirects: number;
}

export const CRAWL_CONTENT_TYPES = ['text/html', 'application/xhtml+xml', 'text/plain', 'text/markdown', 'application/pdf'];

/**
 * A LookupFn on c-ares (the servers of /etc/resolv.conf unless `servers`), not getaddrinfo: a
 * lookup never holds one of libuv's four threadpool threads (shared with file reads, crypto and
 * compression), and gives up after `timeoutMs` per try. With getaddrinfo, crawls of names whose
 * name server never answers (one org's URLs, four at a time) held every thread for the resolver's
 * own timeouts, and every other org's crawls, and the process's file and crypto work, queued
 * behind them. /etc/hosts is not read (crawls fetch public names); localhost names answer loopback.
 */
export function resolverLookup(opts: { timeoutMs: number; tries: number; servers?: string[] }): LookupFn {
  const resolver = new Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
  if (opts.servers) resolver.setServers(opts.servers);
  return async (hostname) => {
    // RFC 6761: localhost names are loopback whatever a name server says (the address rules then judge them)
    if (/(^|\.)localhost\.?$/i.test(hostname)) return [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }];
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const answers = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (v4.status === 'fulfilled' || v6.status === 'fulfilled') return answers;
    throw v4.reason;
  };
}

/** At most about 3 s per name server (1 s, then 2 s). */
const defaultLookup: LookupFn = resolverLookup({ timeoutMs: 1000, tries: 2 });

export function policyFromEnv(intakeConfig: Pick<IntakeConfig, 'crawlAllowHosts' | 'crawlAllowCidrs' | 'crawlAllowPorts'>): UrlPolicy {
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim().toLowerCase())
      .filter(Boolean);
  return {
    hosts: list(intakeConfig.crawlAllowHosts),
    cidrs: parseCidrList(intakeConfig.crawlAllowCidrs),
    ports: list(intakeConfig.crawlAllowPorts).map(Number),
  };
}

/** The connect function: resolve, check every address, connect to the checked one. */
export function guardedConnector(opts: SafeFetchOptions): buildConnector.connector {
  const base = buildConnector({ timeout: opts.connectTimeoutMs });
  const lookup = opts.lookup ?? defaultLookup;
  return (options, callback) => {
    const host = options.hostname;
    const port = Number(options.port) || defaultPort(options.protocol);
    const fail = (reason: string) => callback(new SsrfBlockedError(reason), null);
    if (port !== defaultPort(options.protocol) && !opts.policy.ports.includes(port)) return fail(`port ${port} is not allowed`);
    const literal = parseIpLiteral(host);
    const resolve: Promise<{ address: string; family: number }[]> = literal
      ? Promise.resolve([{ address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 }])
      : (() => {
          const name = checkHostName(host, opts.policy);
          return name.ok ? lookup(host) : Promise.reject(new SsrfBlockedError(name.reason));
        })();
    resolve.then(
      (answers) => {
        if (!answers.length) return callback(new SafeFetchError(FetchFailure.Network, `${host} did not resolve`, true), null);
        // Every answer must pass: a mixed answer is how rebinding attacks hide an internal address.
        for (const a of answers) {
          const v = checkAddress(a.address, opts.policy);
          if (!v.ok) return fail(`${literal ? '' : `${host} resolves to `}${v.reason}`);
        }
        const address = answers[0].address;
        base(
          {
            ...options,
            hostname: address, // bare, as undici passes IPv6 to net.connect
            // TLS still verifies the certificate against the name the URL gave.
            servername: literal ? undefined : host.replace(/\.+$/, ''),
          },
          callback,
        );
      },
      (err: unknown) =>
        callback(err instanceof SafeFetchError ? err : new SafeFetchError(FetchFailure.Network, `cannot resolve ${host}`, true), null),
    );
  };
}

function mediaType(header: string | undefined): { type: string; charset: string | undefined } {
  const [type, ...params] = (header ?? '').split(';').map((s) => s.trim());
  const charset = params.find((p) => /^charset=/i.test(p))?.split('=')[1]?.replace(/"/g, '').toLowerCase();
  return { type: type.toLowerCase(), charset };
}

const header = (h: Record<string, string | string[] | undefined>, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Drops a response body without reading it (the abort it raises is expected). */
function discard(body: { on(event: 'error', fn: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Longest a connection to a fetched site stays open idle (ms), whatever the site's Keep-Alive says. */
export const CRAWL_KEEP_ALIVE_MAX_MS = 4_000;

/** Builds one dispatcher per fetcher; close() it when done. */
export class SafeFetcher {
  private readonly agent: Agent;

  constructor(private readonly opts: SafeFetchOptions) {
    this.agent = new Agent({
      connect: guardedConnector(opts),
      headersTimeout: opts.totalTimeoutMs,
      bodyTimeout: opts.totalTimeoutMs,
      connections: 8,
      // A connection to a fetched site stays open idle at most CRAWL_KEEP_ALIVE_MAX_MS, whatever its
      // server asks (`Keep-Alive: timeout=600` kept undici's sockets to an attacker's hosts for 10
      // minutes: a crawl of 5 redirects left 6 sockets, and an org's crawl rate about 3,600).
      keepAliveTimeout: Math.min(1_000, CRAWL_KEEP_ALIVE_MAX_MS),
      keepAliveMaxTimeout: CRAWL_KEEP_ALIVE_MAX_MS,
    });
  }

  /** Throws SsrfBlockedError when the URL can be refused without any network access. */
  precheck(raw: string): URL {
    const v = checkUrl(raw, this.opts.policy);
    if (!v.ok) throw new SsrfBlockedError(v.reason);
    return parseUrl(raw.trim())!;
  }

  async fetch(raw: string, signal?: AbortSignal): Promise<FetchedDocument> {
    const timeout = AbortSignal.timeout(this.opts.totalTimeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let url = this.precheck(raw);
    // bytes of an accepted document read so far, once its body is being read
    let reading: { bytes: number } | undefined;
    try {
      for (let hop = 0; ; hop++) {
        const res = await request(url, {
          method: 'GET',
          dispatcher: this.agent,
          signal: abort,
          headers: {
            'user-agent': 'rocker-crawler/0.1 (+https://rocker.dev/crawler)',
            accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8',
          },
        });
        if (res.statusCode >= 300 && res.statusCode < 400 && res.statusCode !== 304) {
          discard(res.body);
          const location = header(res.headers, 'location');
          if (!location) throw new SafeFetchError(FetchFailure.HttpStatus, `redirect ${res.statusCode} without Location`);
          if (hop + 1 > this.opts.maxRedirects) throw new SafeFetchError(FetchFailure.TooManyRedirects, `more than ${this.opts.maxRedirects} redirects`);
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            throw new SafeFetchError(FetchFailure.HttpStatus, 'redirect to an invalid URL');
          }
          const v = checkUrl(next, this.opts.policy);
          if (!v.ok) throw new SsrfBlockedError(`redirect refused: ${v.reason}`);
          url = next;
          continue;
        }
        if (res.statusCode < 200 || res.statusCode >= 300) {
          discard(res.body);
          throw new SafeFetchError(FetchFailure.HttpStatus, `the server answered ${res.statusCode}`, res.statusCode >= 500 || res.statusCode === 429);
        }
        const { type, charset } = mediaType(header(res.headers, 'content-type'));
        if (!this.opts.contentTypes.includes(type)) {
          discard(res.body);
          throw new SafeFetchError(FetchFailure.UnsupportedContentType, `content type ${JSON.stringify(type || 'none')} is not accepted`);
        }
        const declared = Number(header(res.headers, 'content-length'));
        if (Number.isFinite(declared) && declared > this.opts.maxBytes) {
          discard(res.body);
          throw new SafeFetchError(FetchFailure.TooLarge, `the document is larger than ${this.opts.maxBytes} bytes`);
        }
        const chunks: Buffer[] = [];
        const read = (reading = { bytes: 0 });
        for await (const chunk of res.body) {
          read.bytes += (chunk as Buffer).length;
          if (read.bytes > this.opts.maxBytes) {
            discard(res.body);
            throw new SafeFetchError(FetchFailure.TooLarge, `the document is larger than ${this.opts.maxBytes} bytes`);
          }
          chunks.push(chunk as Buffer);
        }
        return { url: raw, finalUrl: url.toString(), status: res.statusCode, contentType: type, charset, body: Buffer.concat(chunks), redirects: hop };
      }
    } catch (e) {
      throw this.translate(e, timeout, reading);
    }
  }

  /**
   * A timeout is transient (the job retries) while the server has not begun sending the document;
   * once it has, it is not: a server that sends too slowly to finish within the time limit does so
   * again, and each attempt would hold a crawl worker for the whole limit.
   */
  private translate(e: unknown, timeout: AbortSignal, reading?: { bytes: number }): SafeFetchError {
    if (e instanceof SafeFetchError) return e;
    const err = e as { cause?: unknown; name?: string; code?: string };
    if (err?.cause instanceof SafeFetchError) return err.cause;
    if (timeout.aborted || err?.name === 'TimeoutError' || /TIMEOUT/.test(String(err?.code))) {
      if (reading)
        return new SafeFetchError(
          FetchFailure.Timeout,
          `the document did not arrive within ${this.opts.totalTimeoutMs} ms (${reading.bytes} bytes came): its server sends too slowly`,
        );
      return new SafeFetchError(FetchFailure.Timeout, `no complete answer within ${this.opts.totalTimeoutMs} ms`, true);
    }
    return new SafeFetchError(FetchFailure.Network, 'the server could not be reached', true);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
