import { checkAddress, parseIpLiteral } from './address-policy.js';
/** Suffixes that name the local machine, the local network or a cloud's internal zone. */
const LOCAL_SUFFIXES = ['localhost', 'local', 'localdomain', 'internal', 'intranet', 'lan', 'home', 'corp', 'arpa', 'home.arpa', 'onion', 'test', 'invalid'];
export function normaliseHostName(hostname) {
    return hostname.toLowerCase().replace(/\.+$/, '');
}
export function hostAllowlisted(hostname, hosts) {
    const h = normaliseHostName(hostname);
    return hosts.some((a) => (a.startsWith('.') ? h.endsWith(a) || h === a.slice(1) : h === a));
}
export function checkHostName(hostname, policy) {
    const h = normaliseHostName(hostname);
    if (hostAllowlisted(h, policy.hosts))
        return { ok: true };
    if (!h)
        return { ok: false, reason: 'empty host' };
    if (!h.includes('.'))
        return { ok: false, reason: `single-label host ${JSON.stringify(h)} names a local network host` };
    const labels = h.split('.');
    for (let i = 0; i < labels.length; i++) {
        if (LOCAL_SUFFIXES.includes(labels.slice(i).join('.')))
            return { ok: false, reason: `host ${JSON.stringify(h)} names a local or internal zone` };
    }
    // A name whose last label is numeric is an address written in a form the URL parser kept.
    if (/^\d+$/.test(labels[labels.length - 1]) || /^0x[0-9a-f]*$/i.test(labels[labels.length - 1])) {
        return { ok: false, reason: `host ${JSON.stringify(h)} looks like a numeric address` };
    }
    return { ok: true };
}
export function parseUrl(raw) {
    try {
        return new URL(raw);
    }
    catch {
        return undefined;
    }
}
/** Everything decidable at submission. A URL that passes may still be refused at connect time. */
export function checkUrl(raw, policy) {
    const url = typeof raw === 'string' ? parseUrl(raw.trim()) : raw;
    if (!url)
        return { ok: false, reason: 'not a valid absolute URL' };
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return { ok: false, reason: `scheme ${url.protocol} is not allowed (http and https only)` };
    if (url.username || url.password)
        return { ok: false, reason: 'credentials in URLs are not allowed' };
    if (url.port && !policy.ports.includes(Number(url.port)))
        return { ok: false, reason: `port ${url.port} is not allowed` };
    const literal = parseIpLiteral(url.hostname);
    if (literal)
        return checkAddress(literal.toString(), policy);
    return checkHostName(url.hostname, policy);
}
export function defaultPort(protocol) {
    return protocol === 'https:' ? 443 : 80;
}
//# sourceMappingURL=url-policy.js.map