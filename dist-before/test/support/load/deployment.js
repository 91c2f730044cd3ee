import { spawn } from 'node:child_process';
import { capCpu } from './cpu-cap.js';
import { existsSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { serverNodeArgs, startServer } from './load.js';
import { freePort } from '../net.js';
const children = new Set();
let hooked = false;
/** Kills `child` when this process exits or is signalled (SIGINT/SIGTERM/SIGHUP), after onSignal's cleanup. */
export function track(child) {
    children.add(child);
    child.once('exit', () => children.delete(child));
    if (hooked)
        return;
    hooked = true;
    process.once('exit', () => {
        for (const c of children)
            c.kill('SIGKILL');
    });
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
        process.once(sig, () => {
            for (const c of children)
                c.kill('SIGKILL');
            // Give the owner's cleanup (drop the run's database, its Redis keys) a bounded moment.
            const done = () => process.exit(sig === 'SIGINT' ? 130 : 143);
            setTimeout(done, 10_000).unref();
            void (onSignalCleanup?.() ?? Promise.resolve()).catch(() => undefined).then(done);
        });
    }
}
let onSignalCleanup;
/** Runs `fn` (bounded to 10 s) before exiting on SIGINT/SIGTERM/SIGHUP. */
export function onSignal(fn) {
    onSignalCleanup = fn;
}
export function killAll() {
    for (const c of children)
        c.kill('SIGKILL');
}
/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child, graceMs = 5000) {
    if (child.exitCode !== null || child.signalCode !== null)
        return;
    const exited = new Promise((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
}
export function parseWorkerSched(v) {
    if (v === undefined || v === '' || v === 'idle')
        return 'idle';
    // normal priority, but the embedding model's thread at nice 19 (ENGINE_NICE)
    if (v === 'embed-nice')
        return 'embed-nice';
    const n = Number(v.replace(/^nice:/, ''));
    if (!Number.isInteger(n) || n < 0 || n > 19)
        throw new Error(`LOAD_WORKER_SCHED must be idle or a nice value 0..19, not ${v}`);
    return n;
}
const CHRT = '/usr/bin/chrt';
const POLICIES = { '0': 'normal', '3': 'batch', '5': 'idle' };
/** How Linux schedules a process, from /proc: e.g. "idle" or "normal, nice 10"; "unknown" elsewhere. */
export function schedulingOf(pid) {
    try {
        // Fields after the command name (which may hold spaces): state is field 3, nice 19, policy 41.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const policy = POLICIES[f[41 - 3]] ?? `policy ${f[41 - 3]}`;
        const nice = Number(f[19 - 3]);
        return policy === 'idle' || nice === 0 ? policy : `${policy}, nice ${nice}`;
    }
    catch {
        return 'unknown';
    }
}
async function startWorker(script, env, sched, readyTimeoutMs) {
    const port = await freePort();
    const idle = sched === 'idle' && existsSync(CHRT);
    // chrt execs node: the child's pid is node's, and every thread node starts inherits SCHED_IDLE.
    const node = [...serverNodeArgs(), script];
    const [cmd, args] = idle ? [CHRT, ['--idle', '0', process.execPath, ...node]] : [process.execPath, node];
    const child = spawn(cmd, args, {
        env: { ...process.env, ...env, ROCKER_ROLE: 'worker', WORKER_PORT: String(port), ...(sched === 'embed-nice' ? { ENGINE_NICE: '19' } : {}) },
        stdio: ['ignore', 'ignore', 'pipe'],
    });
    track(child);
    const nice = sched === 'idle' ? (idle ? 0 : 19) : sched === 'embed-nice' ? 0 : sched;
    if (nice && child.pid) {
        try {
            setPriority(child.pid, nice);
        }
        catch {
            /* not permitted: run at normal priority */
        }
    }
    let stderr = '';
    child.stderr.on('data', (d) => {
        stderr += d.toString();
        if (stderr.length > 20_000)
            stderr = stderr.slice(-10_000);
        process.stderr.write(d);
    });
    let exitCode = null;
    const exited = new Promise((r) => child.once('exit', (code) => {
        exitCode = code ?? -1;
        r();
    }));
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
        if (exitCode !== null) {
            if (/not available/i.test(stderr))
                return { unavailable: stderr.trim().split('\n').pop() };
            throw new Error(`worker exited with ${exitCode} before it was ready`);
        }
        try {
            const r = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(1000) });
            if (r.ok)
                return { child };
        }
        catch {
            /* not listening yet */
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]);
    }
    await stopChild(child);
    throw new Error(`worker not ready within ${readyTimeoutMs} ms`);
}
export async function startDeployment(opts) {
    const started = [];
    const apis = [];
    let ingestUnavailable = null;
    try {
        // One at a time: on two cores, parallel Nest boots only take longer each.
        for (let i = 0; i < opts.apis; i++) {
            const { child, port } = await startServer(opts.apiScript, { ...opts.env, ROCKER_ROLE: 'api' });
            track(child);
            started.push(child);
            apis.push(`http://127.0.0.1:${port}`);
        }
        if (!existsSync(opts.workerScript))
            ingestUnavailable = `${opts.workerScript} does not exist`;
        for (let i = 0; i < opts.workers && !ingestUnavailable; i++) {
            const w = await startWorker(opts.workerScript, opts.env, opts.workerSched ?? 'idle', opts.readyTimeoutMs ?? 90_000);
            if (w.unavailable)
                ingestUnavailable = w.unavailable;
            else
                started.push(w.child);
        }
    }
    catch (e) {
        await Promise.all(started.map((c) => stopChild(c)));
        throw e;
    }
    const workerPids = ingestUnavailable ? [] : started.slice(apis.length).map((c) => c.pid);
    const workerCpuCap = opts.workerCpus && workerPids.length ? capCpu(`rocker-load-${process.pid}`, opts.workerCpus, workerPids) : null;
    return {
        apis,
        workers: ingestUnavailable ? 0 : opts.workers,
        workerCpuCap,
        apiPids: started.slice(0, apis.length).map((c) => c.pid),
        workerPids,
        ingestUnavailable,
        stop: () => Promise.all(started.map((c) => stopChild(c))).then(() => {
            workerCpuCap?.remove();
        }),
    };
}
//# sourceMappingURL=deployment.js.map