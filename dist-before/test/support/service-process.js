import { spawn } from 'node:child_process';
import { freePort } from './net.js';
import { until } from './wait.js';
import { SERVICE_NODE_FLAGS } from '../../src/config/node-flags.js';
/** Env → the environment strings of a child process. */
export function envVarsOf(env, extra = {}) {
    const out = {};
    for (const [k, v] of Object.entries(env))
        if (v !== undefined && v !== null)
            out[k] = String(v);
    return { ...out, ...extra };
}
/**
 * A real service process from dist/ (built by the global setup): `api` runs `dist/src/main.js` with
 * ROCKER_ROLE=api, `worker` runs `dist/src/worker.js`, `all` the all-in-one main. Ready when its
 * `/health/live` answers; stop() sends SIGTERM and waits for the exit (SIGKILL after 15 s).
 */
export async function startServiceProcess(role, vars, timeoutMs = 120_000) {
    const port = await freePort();
    const script = role === 'worker' ? 'dist/src/worker.js' : 'dist/src/main.js';
    const portVars = role === 'worker' ? { WORKER_PORT: String(port) } : { PORT: String(port) };
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], {
        env: { PATH: process.env.PATH ?? '', ...vars, ...portVars, ROCKER_ROLE: role },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b.toString()));
    child.stderr.on('data', (b) => (err = (err + b.toString()).slice(-4000)));
    const exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const host = `127.0.0.1:${port}`;
    const stop = async (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) {
            child.kill(signal);
            const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            await exited;
            clearTimeout(killer);
        }
    };
    try {
        await Promise.race([
            until(async () => ((await fetch(`http://${host}/health/live`)).ok ? true : undefined), timeoutMs, `the ${role} process to answer /health/live`, 250),
            exited.then(() => {
                throw new Error(`${role} exited (${child.exitCode ?? child.signalCode}): ${err}${out.slice(-2000)}`);
            }),
        ]);
    }
    catch (e) {
        await stop('SIGKILL');
        throw e;
    }
    return { host, url: `http://${host}`, pid: child.pid, stdout: () => out, stop };
}
//# sourceMappingURL=service-process.js.map