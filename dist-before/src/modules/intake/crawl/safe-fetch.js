import { lookup as dnsLookup } from 'node:dns/promises';
import { Agent, buildConnector, request } from 'undici';
import { checkAddress, parseCidrList, parseIpLiteral } from './address-policy.js';
import { checkHostName, checkUrl, defaultPort, parseUrl } from './url-policy.js';
/**
 * An outbound HTTP GET that cannot be pointed at the inside of the network.
 *
 * The decisive check sits in the dispatcher's `connect`: the host is resolved there, every
 * answer is checked, and the socket is opened to the checked address itself (never re-resolved),
 * so DNS rebinding between check and connect has nothing to race. Literal hosts are checked the
 * same way. Redirects are followed by hand, each hop judged again (scheme, credentials, port,
 * name, then the connect-time address check).
 */
export var FetchFailure;
(function (FetchFailure) {
    FetchFailure["SsrfBlocked"] = "ssrf-blocked";
    FetchFailure["Timeout"] = "timeout";
    FetchFailure["TooLarge"] = "too-large";
    FetchFailure["UnsupportedContentType"] = "unsupported-content-type";
    FetchFailure["HttpStatus"] = "http-status";
    FetchFailure["TooManyRedirects"] = "too-many-redirects";
    FetchFailure["Network"] = "network";
})(FetchFailure || (FetchFailure = {}));
export class SafeFetchError extends Error {
    constructor(failure, message, 
    /** Worth retrying later (timeouts, 5xx, network), as opposed to a final refusal. */
    transient = false) {
        super(message);
        this.failure = failure;
        this.transient = transient;
    }
}
export class SsrfBlockedError extends SafeFetchError {
    constructor(reason) {
        super(FetchFailure.SsrfBlocked, reason);
    }
}
export const CRAWL_CONTENT_TYPES = ['text/html', 'application/xhtml+xml', 'text/plain', 'text/markdown', 'application/pdf'];
const defaultLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });
export function policyFromEnv(intakeConfig) {
    const list = (s) => s
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
export function guardedConnector(opts) {
    const base = buildConnector({ timeout: opts.connectTimeoutMs });
    const lookup = opts.lookup ?? defaultLookup;
    return (options, callback) => {
        const host = options.hostname;
        const port = Number(options.port) || defaultPort(options.protocol);
        const fail = (reason) => callback(new SsrfBlockedError(reason), null);
        if (port !== defaultPort(options.protocol) && !opts.policy.ports.includes(port))
            return fail(`port ${port} is not allowed`);
        const literal = parseIpLiteral(host);
        const resolve = literal
            ? Promise.resolve([{ address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 }])
            : (() => {
                const name = checkHostName(host, opts.policy);
                return name.ok ? lookup(host) : Promise.reject(new SsrfBlockedError(name.reason));
            })();
        resolve.then((answers) => {
            if (!answers.length)
                return callback(new SafeFetchError(FetchFailure.Network, `${host} did not resolve`, true), null);
            // Every answer must pass: a mixed answer is how rebinding attacks hide an internal address.
            for (const a of answers) {
                const v = checkAddress(a.address, opts.policy);
                if (!v.ok)
                    return fail(`${literal ? '' : `${host} resolves to `}${v.reason}`);
            }
            const address = answers[0].address;
            base({
                ...options,
                hostname: address, // bare, as undici passes IPv6 to net.connect
                // TLS still verifies the certificate against the name the URL gave.
                servername: literal ? undefined : host.replace(/\.+$/, ''),
            }, callback);
        }, (err) => callback(err instanceof SafeFetchError ? err : new SafeFetchError(FetchFailure.Network, `cannot resolve ${host}`, true), null));
    };
}
function mediaType(header) {
    const [type, ...params] = (header ?? '').split(';').map((s) => s.trim());
    const charset = params.find((p) => /^charset=/i.test(p))?.split('=')[1]?.replace(/"/g, '').toLowerCase();
    return { type: type.toLowerCase(), charset };
}
const header = (h, name) => {
    const v = h[name];
    return Array.isArray(v) ? v[0] : v;
};
/** Drops a response body without reading it (the abort it raises is expected). */
function discard(body) {
    body.on('error', () => undefined);
    body.destroy();
}
/** Builds one dispatcher per fetcher; close() it when done. */
export class SafeFetcher {
    constructor(opts) {
        this.opts = opts;
        this.agent = new Agent({
            connect: guardedConnector(opts),
            headersTimeout: opts.totalTimeoutMs,
            bodyTimeout: opts.totalTimeoutMs,
            connections: 8,
        });
    }
    /** Throws SsrfBlockedError when the URL can be refused without any network access. */
    precheck(raw) {
        const v = checkUrl(raw, this.opts.policy);
        if (!v.ok)
            throw new SsrfBlockedError(v.reason);
        return parseUrl(raw.trim());
    }
    async fetch(raw, signal) {
        const timeout = AbortSignal.timeout(this.opts.totalTimeoutMs);
        const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
        let url = this.precheck(raw);
        try {
            for (let hop = 0;; hop++) {
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
                    if (!location)
                        throw new SafeFetchError(FetchFailure.HttpStatus, `redirect ${res.statusCode} without Location`);
                    if (hop + 1 > this.opts.maxRedirects)
                        throw new SafeFetchError(FetchFailure.TooManyRedirects, `more than ${this.opts.maxRedirects} redirects`);
                    let next;
                    try {
                        next = new URL(location, url);
                    }
                    catch {
                        throw new SafeFetchError(FetchFailure.HttpStatus, 'redirect to an invalid URL');
                    }
                    const v = checkUrl(next, this.opts.policy);
                    if (!v.ok)
                        throw new SsrfBlockedError(`redirect refused: ${v.reason}`);
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
                const chunks = [];
                let size = 0;
                for await (const chunk of res.body) {
                    size += chunk.length;
                    if (size > this.opts.maxBytes) {
                        discard(res.body);
                        throw new SafeFetchError(FetchFailure.TooLarge, `the document is larger than ${this.opts.maxBytes} bytes`);
                    }
                    chunks.push(chunk);
                }
                return { url: raw, finalUrl: url.toString(), status: res.statusCode, contentType: type, charset, body: Buffer.concat(chunks), redirects: hop };
            }
        }
        catch (e) {
            throw this.translate(e, timeout);
        }
    }
    translate(e, timeout) {
        if (e instanceof SafeFetchError)
            return e;
        const err = e;
        if (err?.cause instanceof SafeFetchError)
            return err.cause;
        if (timeout.aborted || err?.name === 'TimeoutError' || /TIMEOUT/.test(String(err?.code))) {
            return new SafeFetchError(FetchFailure.Timeout, `no complete answer within ${this.opts.totalTimeoutMs} ms`, true);
        }
        return new SafeFetchError(FetchFailure.Network, 'the server could not be reached', true);
    }
    close() {
        return this.agent.close();
    }
}
//# sourceMappingURL=safe-fetch.js.map