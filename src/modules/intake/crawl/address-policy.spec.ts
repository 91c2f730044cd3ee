import { describe, expect, it } from 'vitest';
import { checkAddress, parseCidrList } from './address-policy.js';

describe('checkAddress', () => {
  const none = { cidrs: [] };
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
  ])('public %s is allowed', (a) => expect(checkAddress(a, none)).toEqual({ ok: true }));

  it.each([
    '127.0.0.1', '10.1.2.3', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.100.100.200', '0.0.0.0',
    '192.0.0.192', '192.0.2.1', '198.51.100.1', '203.0.113.1', '198.19.0.1', '224.0.0.251', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', '::ffff:8.8.8.8', '::ffff:127.0.0.1', '::127.0.0.1', '64:ff9b::808:808', '64:ff9b:1::1', '100::1', '2001::1',
    '2001:db8::1', '2002:808:808::1', '3fff::1', 'fc00::1', 'fd00:ec2::254', 'fe80::1', 'fec0::1', 'ff02::1', '4000::1',
  ])('special-purpose %s is refused', (a) => expect(checkAddress(a, none).ok).toBe(false));

  it('an allowlisted CIDR opens exactly that range', () => {
    const allow = { cidrs: parseCidrList('127.0.0.1/32, fd00::/8') };
    expect(checkAddress('127.0.0.1', allow).ok).toBe(true);
    expect(checkAddress('127.0.0.2', allow).ok).toBe(false);
    expect(checkAddress('fd12::1', allow).ok).toBe(true);
    expect(checkAddress('::ffff:127.0.0.1', allow).ok).toBe(false);
  });

  it('non-addresses are refused', () => {
    expect(checkAddress('example.com', none).ok).toBe(false);
    expect(checkAddress('2130706433', none).ok).toBe(false);
  });
});
