import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';
import { until } from './wait.js';
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
/**
 * A real Prometheus (Debian package) on a free loopback port, with a temp config and TSDB dir,
 * scraping its targets every second with the metrics bearer token and loading the given rule files.
 * `target` is one API (job rocker-api); `jobs` names several jobs and their targets (a fleet).
 */
export async function startPrometheus(opts) {
    const dir = mkdtempSync(join(tmpdir(), 'rocker-prom-'));
    const port = await freePort();
    const jobs = 'jobs' in opts ? opts.jobs : { 'rocker-api': [opts.target] };
    const config = [
        'global:',
        `  scrape_interval: ${opts.scrapeIntervalS ?? 1}s`,
        `  scrape_timeout: ${opts.scrapeIntervalS ?? 1}s`,
        '  evaluation_interval: 1s',
        'rule_files:',
        ...opts.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
        'scrape_configs:',
        ...Object.entries(jobs).flatMap(([job, targets]) => [
            `  - job_name: ${job}`,
            '    metrics_path: /metrics',
            '    authorization:',
            '      type: Bearer',
            `      credentials: ${JSON.stringify(opts.token)}`,
            '    static_configs:',
            `      - targets: ${JSON.stringify(targets)}`,
        ]),
        '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const child = spawn(PROMETHEUS_BIN, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b) => {
        stderr = (stderr + b.toString()).slice(-4000);
    });
    const url = `http://127.0.0.1:${port}`;
    const exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await until(async () => {
        if (child.exitCode !== null)
            throw new Error(`prometheus exited ${child.exitCode}: ${stderr}`);
        const r = await fetch(`${url}/-/ready`);
        return r.ok ? true : undefined;
    }, 30_000, 'prometheus to be ready', 250);
    const api = async (path) => {
        const r = await fetch(`${url}${path}`);
        const body = (await r.json());
        if (body.status !== 'success')
            throw new Error(`prometheus ${path}: ${body.error}`);
        return body.data;
    };
    return {
        url,
        api,
        async query(expr) {
            const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
            return data.result;
        },
        async stop() {
            if (child.exitCode === null) {
                child.kill('SIGTERM');
                await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
                if (child.exitCode === null)
                    child.kill('SIGKILL');
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
//# sourceMappingURL=prometheus.js.map