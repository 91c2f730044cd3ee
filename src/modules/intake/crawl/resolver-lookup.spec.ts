import { afterEach, describe, expect, it } from 'vitest';
import { pbkdf2 } from 'node:crypto';
import { startDnsServer } from '../../../../test/support/dns-server.js';
import { resolverLookup } from './safe-fetch.js';

/** The crawler's resolver against a DNS server on loopback (real UDP, real protocol). */
describe('resolverLookup', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("answers a name's addresses", async () => {
    const dns = await startDnsServer({ a: ['93.184.216.34', '93.184.216.35'] });
    servers.push(dns);
    const lookup = resolverLookup({ timeoutMs: 500, tries: 1, servers: [dns.address] });
    expect(await lookup('example.test')).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '93.184.216.35', family: 4 },
    ]);
  });

  it('answers loopback for localhost names without asking (RFC 6761)', async () => {
    const dns = await startDnsServer({ a: ['93.184.216.34'] });
    servers.push(dns);
    const lookup = resolverLookup({ timeoutMs: 500, tries: 1, servers: [dns.address] });
    for (const name of ['localhost', 'LOCALHOST.', 'app.localhost'])
      expect((await lookup(name)).map((a) => a.address)).toEqual(['127.0.0.1', '::1']);
    expect(dns.queries).toBe(0);
  });

  it('gives up on a silent name server after its timeout, and holds no threadpool thread meanwhile', async () => {
    const dns = await startDnsServer({ silent: true });
    servers.push(dns);
    const lookup = resolverLookup({ timeoutMs: 300, tries: 1, servers: [dns.address] });
    const t0 = performance.now();
    // eight lookups at once, twice libuv's four threads: getaddrinfo would hold all of them
    let settled = false;
    const pending = Promise.allSettled(Array.from({ length: 8 }, (_, i) => lookup(`silent-${i}.test`))).finally(() => (settled = true));
    // threadpool work started meanwhile finishes while they still wait
    await new Promise<void>((resolve, reject) => pbkdf2('x', 'y', 1, 32, 'sha256', (e) => (e ? reject(e) : resolve())));
    expect(settled).toBe(false);
    const results = await pending;
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(dns.queries).toBeGreaterThanOrEqual(8);
    const waited = performance.now() - t0;
    expect(waited).toBeLessThan(5000); // 300 ms a try (A and AAAA at once), not the system resolver's seconds
  });
});
