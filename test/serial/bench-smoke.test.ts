import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The benchmarks still run and still print their figures: each at the smallest size, asserting
 * only that it exits 0 and that its ratio lines carry finite numbers (the figures themselves
 * belong in bench/ runs on a quiet machine). A benchmark that stops working otherwise goes unseen
 * until someone needs its numbers (bench:pgbouncer printed NaN for a week).
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function bench(script: string, env: Record<string, string>, args: string[] = []): Promise<string> {
  let output = '';
  const child = spawn(process.execPath, [join(root, 'dist/bench', script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code, `${script} exited ${code}:\n${output}`).toBe(0);
  return output;
}

/** The number after `label` in the output, which must be finite. */
function figure(output: string, label: RegExp): number {
  const m = new RegExp(`${label.source}\\s*([0-9.]+|NaN|Infinity)`).exec(output);
  expect(m, `no ${label} in:\n${output}`).not.toBeNull();
  const n = Number(m![1]);
  expect(Number.isFinite(n), `${label} is ${m![1]} in:\n${output}`).toBe(true);
  return n;
}

describe('benchmarks (smallest size)', () => {
  it('bench:overhead prints the stack against the bare handler, and its CPU profile reads as a flame graph', async () => {
    const profiles = mkdtempSync(join(tmpdir(), 'bench-prof-'));
    const out = await bench('overhead.js', {
      BENCH_ROUNDS: '1',
      BENCH_DURATION: '1',
      BENCH_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${profiles}`,
    });
    expect(figure(out, /throughput ratio full\/baseline:/)).toBeGreaterThan(0);
    expect(figure(out, /p95 latency ratio full\/baseline:/)).toBeGreaterThan(0);
    expect(figure(out, /server CPU per request full\/baseline:/)).toBeGreaterThan(0);
    expect(figure(out, /against the bare handler with prepared statements: throughput/)).toBeGreaterThan(0);
    const files = readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'));
    // the servers in the order they ran: bare, bare with prepared statements, the stack, the stack without the limiter
    expect(files.length, 'one profile per server').toBe(4);
    const svg = join(profiles, 'flame.svg');
    const summary = await bench('flame.js', {}, [join(profiles, files.sort()[2]), '--svg', svg, '--title', 'smoke']);
    expect(summary).toMatch(/self time by package/);
    expect(summary).toMatch(/src\/tenancy\/|@nestjs\/core/); // the full stack's own frames
    expect(existsSync(svg)).toBe(true);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg [\s\S]*<rect [\s\S]*<\/svg>\s*$/);
  }, 170_000);

  it('bench:limits prints the limiter on/off ratio and the decision cost', async () => {
    const out = await bench('limits.js', { BENCH_ROUNDS: '1', BENCH_SECONDS: '1', BENCH_TTS_RUNS: '2' });
    expect(figure(out, /throughput ratio \(with \/ without\):/)).toBeGreaterThan(0);
    expect(out).toMatch(/\| decide \| [0-9.]+ \| [0-9.]+ \|/);
    // CPU per request from /proc and Redis' INFO (a difference of two 1-s rounds: its sign is noise here)
    expect(out).toMatch(/the limiter's CPU per request: server [+-][0-9.]+ ms \([0-9.]+x\), Redis [+-][0-9.]+ ms/);
  }, 170_000);

  it('bench:pgbouncer prints the PgBouncer/direct ratio with every transaction succeeding', async () => {
    const out = await bench('pgbouncer.js', { BENCH_CLIENTS: '40', BENCH_DURATION: '1', BENCH_ROUNDS: '1' });
    expect(out).not.toMatch(/NaN/);
    expect(figure(out, /throughput ratio pgbouncer\/direct:/)).toBeGreaterThan(0);
    expect(figure(out, /p95 latency ratio pgbouncer\/direct:/)).toBeGreaterThan(0);
    // named statements through the pooler: a row that errs on a PgBouncer without max_prepared_statements
    expect(figure(out, /throughput ratio prepared\/unnamed: through PgBouncer/)).toBeGreaterThan(0);
  }, 170_000);
});
