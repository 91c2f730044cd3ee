import { checkAddress, parseIpLiteral, type AddressAllowlist, type Verdict } from './address-policy.js';

/**
 * What can be judged from a URL alone, before any DNS or socket: scheme, credentials, port,
 * literal addresses and names that only ever mean "this machine / this network".
 * Names that pass still meet the connect-time address check (safe-fetch.ts).
 */

export interface UrlPolicy extends AddressAllowlist {
  /** Host names exempt from the name rules (exact, or `.suffix` for subdomains). */
  hosts: string[];
  /** Ports allowed besides the scheme's default. */
  ports: number[];
}

/** Suffixes that name the local machine, the local network or a cloud's internal zone. */
const LOCAL_SUFFIXES = ['localhost', 'local', 'localdomain', 'internal', 'intranet', 'lan', 'home', 'corp', 'arpa', 'home.arpa', 'onion', 'test', 'invalid'];

export function normaliseHostName(hostname: string): string {
  return hostname.toLowerCase().replace(/\.+$/, '');
}

export function hostAllowlisted(hostname: string, hosts: string[]): boolean {
  const h = normaliseHostName(hostname);
  return hosts.some((a) => (a.startsWith('.') ? h.endsWith(a) || h === a.slice(1) : h === a));
}

export function checkHostName(hostname: string, policy: UrlPolicy): Verdict {
  const h = normaliseHostName(hostname);
  if (hostAllowlisted(h, policy.hosts)) return { ok: true };
  if (!h) return { ok: false, reason: 'empty host' };
  if (!h.includes('.')) return { ok: false, reason: `single-label host ${JSON.stringify(h)} names a local network host` };
  const labels = h.split('.');
  for (let i = 0; i < labels.length; i++) {
    if (LOCAL_SUFFIXES.includes(labels.slice(i).join('.'))) return { ok: false, reason: `host ${JSON.stringify(h)} names a local or internal zone` };
  }
  // A name whose last label is numeric is an address written in a form the URL parser kept.
  if (/^\d+$/.test(labels[labels.length - 1]) || /^0x[0-9a-f]*$/i.test(labels[labels.length - 1])) {
    return { ok: false, reason: `host ${JSON.stringify(h)} looks like a numeric address` };
  }
  return { ok: true };
}

export function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** Everything decidable at submission. A URL that passes may still be refused at connect time. */
export function checkUrl(raw: string | URL, policy: UrlPolicy): Verdict {
  const url = typeof raw === 'string' ? parseUrl(raw.trim()) : raw;
  if (!url) return { ok: false, reason: 'not a valid absolute URL' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `scheme ${url.protocol} is not allowed (http and https only)` };
  if (url.username || url.password) return { ok: false, reason: 'credentials in URLs are not allowed' };
  if (url.port && !policy.ports.includes(Number(url.port))) return { ok: false, reason: `port ${url.port} is not allowed` };
  const literal = parseIpLiteral(url.hostname);
  if (literal) return checkAddress(literal.toString(), policy);
  return checkHostName(url.hostname, policy);
}

export function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}
