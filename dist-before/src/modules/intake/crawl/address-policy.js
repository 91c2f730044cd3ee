import ipaddr from 'ipaddr.js';
const cidr = (s) => ipaddr.parseCIDR(s);
/** IANA special-purpose registries (v4 and v6), on top of ipaddr.js's own range classes. */
const BLOCKED_V4 = [
    '0.0.0.0/8', // "this network"
    '10.0.0.0/8',
    '100.64.0.0/10', // carrier-grade NAT
    '127.0.0.0/8',
    '169.254.0.0/16', // link-local, cloud metadata 169.254.169.254
    '172.16.0.0/12',
    '192.0.0.0/24', // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
    '192.0.2.0/24', // TEST-NET-1
    '192.31.196.0/24', // AS112
    '192.52.193.0/24', // AMT
    '192.88.99.0/24', // 6to4 relay anycast
    '192.168.0.0/16',
    '192.175.48.0/24', // AS112
    '198.18.0.0/15', // benchmarking
    '198.51.100.0/24', // TEST-NET-2
    '203.0.113.0/24', // TEST-NET-3
    '224.0.0.0/4', // multicast
    '240.0.0.0/4', // reserved, broadcast
].map(cidr);
const BLOCKED_V6 = [
    '::/96', // unspecified, loopback, IPv4-compatible (deprecated) ::a.b.c.d
    '::ffff:0:0/96', // IPv4-mapped
    '::ffff:0:0:0/96', // IPv4-translated (RFC 6145)
    '64:ff9b::/96', // NAT64 well-known prefix
    '64:ff9b:1::/48', // NAT64 local-use
    '100::/64', // discard-only
    '2001::/23', // IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT...
    '2001:db8::/32', // documentation
    '2002::/16', // 6to4 (embeds an IPv4 address)
    '3fff::/20', // documentation (RFC 9637)
    '5f00::/16', // SRv6 SIDs
    'fc00::/7', // unique-local (incl. fd00:ec2::254 AWS metadata)
    'fe80::/10', // link-local
    'fec0::/10', // site-local (deprecated)
    'ff00::/8', // multicast
].map(cidr);
const GLOBAL_UNICAST_V6 = cidr('2000::/3');
export function parseCidrList(list) {
    return list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (s.includes('/') ? cidr(s) : cidr(`${s}/${ipaddr.parse(s).kind() === 'ipv4' ? 32 : 128}`)));
}
function inList(addr, list) {
    return list.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
}
/** Strips brackets and an IPv6 zone id; undefined when the string is not an IP literal. */
export function parseIpLiteral(host) {
    const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (h.includes('%'))
        return ipaddr.IPv6.isValid(h.split('%')[0]) ? ipaddr.IPv6.parse(h.split('%')[0]) : undefined;
    // Only the canonical forms count as literals here; the URL parser has already normalised
    // decimal/octal/hex/short IPv4 notations into dotted quads.
    if (ipaddr.IPv4.isValidFourPartDecimal(h))
        return ipaddr.IPv4.parse(h);
    if (ipaddr.IPv6.isValid(h) && h.includes(':'))
        return ipaddr.IPv6.parse(h);
    return undefined;
}
/** Is a socket to this address allowed? Public unicast only, unless the operator allowlisted it. */
export function checkAddress(address, allow) {
    const addr = parseIpLiteral(address);
    if (!addr)
        return { ok: false, reason: `not an IP address: ${JSON.stringify(address)}` };
    if (inList(addr, allow.cidrs))
        return { ok: true };
    if (addr.kind() === 'ipv6') {
        const v6 = addr;
        // Anything carrying an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) is refused
        // outright rather than unwrapped: no legitimate crawl needs it.
        if (inList(v6, BLOCKED_V6) || v6.range() !== 'unicast' || !v6.match(...GLOBAL_UNICAST_V6)) {
            return { ok: false, reason: `address ${v6.toString()} is in a non-public range (${v6.range()})` };
        }
        return { ok: true };
    }
    const v4 = addr;
    if (inList(v4, BLOCKED_V4) || v4.range() !== 'unicast') {
        return { ok: false, reason: `address ${v4.toString()} is in a non-public range (${v4.range()})` };
    }
    return { ok: true };
}
//# sourceMappingURL=address-policy.js.map