import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { SERVICE_NODE_FLAGS } from '../../../src/config/node-flags.js';
/** Runs autocannon against url and returns throughput and latency percentiles (ms). */
export async function load(label, opts) {
    const latencies = [];
    const inst = autocannon({
        url: opts.url,
        headers: opts.headers,
        method: opts.method ?? 'GET',
        body: opts.body,
        connections: opts.connections,
        duration: opts.duration,
    });
    // autocannon's summary has p97.5 but no p95: keep every response time and compute exact percentiles.
    inst.on('response', (_c, _status, _bytes, ms) => latencies.push(ms));
    const r = await inst;
    return {
        label,
        rps: r.requests.average,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        non2xx: r.non2xx,
        errors: r.errors,
    };
}
export function percentile(values, p) {
    if (values.length === 0)
        return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
/**
 * Node flags for the servers a bench starts: the service's own (SERVICE_NODE_FLAGS, as `npm start`
 * runs it), then BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=DIR`; a V8 flag given again there
 * wins, e.g. `--max-semi-space-size=64` for Node's default young generation).
 */
export function serverNodeArgs() {
    return [...SERVICE_NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [])];
}
/** Starts a server script as a child process and resolves once it prints "listening <port>". */
export async function startServer(script, env) {
    const child = spawn(process.execPath, [...serverNodeArgs(), script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    const port = await new Promise((resolve, reject) => {
        const onData = (d) => {
            buf += d.toString();
            const m = /listening (\d+)/.exec(buf);
            if (m) {
                // From here on the server's output (its log lines) is read and dropped, not kept.
                child.stdout.off('data', onData);
                child.stdout.resume();
                resolve(Number(m[1]));
            }
        };
        child.stdout.on('data', onData);
        child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    });
    return { child, port };
}
export async function stopServer(child) {
    child.kill('SIGTERM');
    await once(child, 'exit');
}
export function table(rows) {
    const cols = Object.keys(rows[0]);
    const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
    const line = (vals) => vals.map((v, i) => String(v).padEnd(w[i])).join('  ');
    return [line(cols), line(w.map((n) => '-'.repeat(n))), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}
//# sourceMappingURL=load.js.map