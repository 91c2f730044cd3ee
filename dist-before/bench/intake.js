// Cost of the SSRF guard: the guarded fetcher (name check, one resolution, every answer checked,
// connect to the checked address, redirects by hand) against a plain undici Agent, both fetching
// the same loopback page, side by side in one run. Prints per-request means and the ratio.
import { createServer } from 'node:http';
import { Agent, request } from 'undici';
import { parseCidrList } from '../src/modules/intake/crawl/address-policy.js';
import { CRAWL_CONTENT_TYPES, SafeFetcher } from '../src/modules/intake/crawl/safe-fetch.js';
import { sanitize } from '../src/modules/intake/content/html-worker.js';
const N = Number(process.env.BENCH_N ?? 400);
const page = '<!doctype html><html><body><article>' + '<p>Granite and basalt. '.repeat(200) + '</article></body></html>';
async function main() {
    const server = createServer((req, res) => {
        if (req.url === '/r')
            return res.writeHead(302, { location: '/p' }).end();
        res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    const plain = new Agent({ connections: 8 });
    const guarded = new SafeFetcher({
        policy: { hosts: [], cidrs: parseCidrList('127.0.0.1/32'), ports: [port] },
        connectTimeoutMs: 5000,
        totalTimeoutMs: 10000,
        maxBytes: 5 * 1024 * 1024,
        maxRedirects: 5,
        contentTypes: CRAWL_CONTENT_TYPES,
        lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const url = `http://bench.example.com:${port}/p`;
    const baseline = async () => {
        const res = await request(`http://127.0.0.1:${port}/p`, { dispatcher: plain });
        await res.body.arrayBuffer();
    };
    const safe = async () => void (await guarded.fetch(url));
    const time = async (fn) => {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < N; i++)
            await fn();
        return Number(process.hrtime.bigint() - t0) / 1e6 / N;
    };
    for (let i = 0; i < 50; i++) {
        await baseline(); // warm-up
        await safe();
    }
    // Interleaved rounds so that machine noise hits both sides alike.
    const a = [];
    const b = [];
    for (let round = 0; round < 3; round++) {
        a.push(await time(baseline));
        b.push(await time(safe));
    }
    const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
    console.log(`fetch of a ${page.length}-byte page on loopback, ${N}×3 requests each`);
    console.log(`  plain undici Agent : ${mean(a).toFixed(3)} ms/request`);
    console.log(`  SafeFetcher        : ${mean(b).toFixed(3)} ms/request`);
    console.log(`  ratio guarded/plain: ${(mean(b) / mean(a)).toFixed(2)}×`);
    const html = '<p>x</p><img src=x onerror=alert(1)><a href="javascript:alert(1)">y</a>'.repeat(500);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 50; i++)
        sanitize(html);
    console.log(`sanitize of a ${html.length}-byte hostile document: ${(Number(process.hrtime.bigint() - t0) / 1e6 / 50).toFixed(2)} ms`);
    await guarded.close();
    await plain.close();
    server.close();
}
void main();
//# sourceMappingURL=intake.js.map