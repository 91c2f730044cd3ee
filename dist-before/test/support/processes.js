import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from './net.js';
import { until } from './wait.js';
/** Env → process environment strings (for a child worker). */
export function envVars(env, extra = {}) {
    const out = {};
    for (const [k, v] of Object.entries(env))
        if (v !== undefined && v !== null)
            out[k] = String(v);
    return { ...out, ...extra };
}
function childOf(proc) {
    const exited = new Promise((resolve) => proc.once('exit', (code, sig) => resolve(sig ?? code)));
    return {
        proc,
        pid: proc.pid,
        exited,
        async stop(signal = 'SIGTERM') {
            if (proc.exitCode === null && proc.signalCode === null)
                proc.kill(signal);
            return exited;
        },
    };
}
const gone = (proc) => proc.exitCode !== null || proc.signalCode !== null;
/**
 * Spawns the simulated worker (`node dist/test/support/sim-worker.js`: the worker process with the
 * simulated handlers; built by the test run's global setup or `npm run build`) and waits for its
 * ready line. The caller stops it.
 */
export async function spawnSimWorker(vars, timeoutMs = 60_000) {
    const proc = spawn(process.execPath, ['dist/test/support/sim-worker.js'], {
        env: { PATH: process.env.PATH ?? '', ...vars, WORKER_PORT: '0' },
        stdio: ['ignore', 'pipe', process.env.SHOW_WORKER_LOGS ? 'inherit' : 'ignore'],
    });
    const child = childOf(proc);
    let ready = false;
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
        if (process.env.SHOW_WORKER_LOGS)
            process.stderr.write(`[worker ${proc.pid}] ${line}\n`);
        if (line.startsWith('{"ready":true'))
            ready = true;
    });
    return readyOrStopped(child, timeoutMs, 'the simulated worker ready', 50, async () => ready);
}
/**
 * Spawns the production worker entry (`node dist/src/worker.js`) with these variables and its
 * health port on a free loopback port; resolves once /health/ready answers 200. The caller stops it.
 */
export async function spawnWorker(vars, timeoutMs = 60_000) {
    const port = await freePort();
    const proc = spawn(process.execPath, ['dist/src/worker.js'], {
        env: { PATH: process.env.PATH ?? '', ...vars, ROCKER_ROLE: 'worker', WORKER_PORT: String(port) },
        stdio: ['ignore', process.env.SHOW_WORKER_LOGS ? 'inherit' : 'ignore', process.env.SHOW_WORKER_LOGS ? 'inherit' : 'ignore'],
    });
    return readyOrStopped(childOf(proc), timeoutMs, 'the worker process ready', 100, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
        return res?.status === 200;
    });
}
/** Waits for `ready`, failing as soon as the process exits; on failure the process is killed. */
async function readyOrStopped(child, timeoutMs, what, everyMs, ready) {
    try {
        const state = await until(async () => (gone(child.proc) ? 'exited' : (await ready()) ? 'ready' : undefined), timeoutMs, what, everyMs);
        if (state === 'exited')
            throw new Error(`worker exited before ready (${child.proc.exitCode ?? child.proc.signalCode})`);
    }
    catch (e) {
        await child.stop('SIGKILL');
        throw e;
    }
    return child;
}
//# sourceMappingURL=processes.js.map