import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import type { Env } from '../../src/config/env.js';

/** Env → process environment strings (for a child worker). */
export function envVars(env: Env, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== null) out[k] = String(v);
  return { ...out, ...extra };
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the exit code/signal. */
  exited: Promise<number | string | null>;
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/** Spawns `node dist/bench/support/sim-worker.js` (run `npm run build` first) and waits for its ready line. */
export async function spawnSimWorker(vars: Record<string, string>, timeoutMs = 60_000): Promise<Child> {
  const proc = spawn(process.execPath, ['dist/bench/support/sim-worker.js'], {
    env: { PATH: process.env.PATH ?? '', ...vars, WORKER_PORT: '0' },
    stdio: ['ignore', 'pipe', process.env.SHOW_WORKER_LOGS ? 'inherit' : 'ignore'],
  });
  const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, sig) => resolve(sig ?? code)));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not start in time')), timeoutMs);
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      if (process.env.SHOW_WORKER_LOGS) process.stderr.write(`[worker ${proc.pid}] ${line}\n`);
      if (line.startsWith('{"ready":true')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited before ready (${code})`));
    });
  });
  await ready;
  return {
    proc,
    pid: proc.pid!,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A private, non-persistent redis-server child (fault tests stop and start this one, never the shared one). */
export async function startRedis(port: number, timeoutMs = 10_000): Promise<Child> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, sig) => resolve(sig ?? code)));
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return {
    proc,
    pid: proc.pid!,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Polls `fn` until it returns a truthy value, at most `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
