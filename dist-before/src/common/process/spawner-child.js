// The spawner process: starts the commands the API asks for and relays their pipes over IPC.
// Erasable TypeScript only, no relative imports: it runs straight from src under Node's type
// stripping (tests) and from dist after tsc (see local-embedding.worker.ts).
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
const children = new Map();
// With a callback, a send to a parent that is already gone fails quietly instead of throwing.
const send = (msg) => {
    if (process.connected)
        process.send(msg, undefined, {}, () => undefined);
};
process.on('message', (m) => {
    if (m.type !== 'spawn') {
        const child = children.get(m.id);
        if (!child)
            return;
        if (m.type === 'stdin')
            child.stdin.write(m.chunk);
        else if (m.type === 'stdin-end')
            child.stdin.end();
        else
            child.kill(m.signal);
        return;
    }
    const { id } = m;
    let child;
    try {
        child = spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'], ...(m.env ? { env: m.env } : {}) });
    }
    catch (e) {
        send({ type: 'error', id, message: e.message, code: e.code });
        send({ type: 'close', id, code: null, signal: null });
        return;
    }
    children.set(id, child);
    child.once('spawn', () => {
        // Lower than the helper's own priority when asked (raising a nice value needs no privilege).
        if (m.nice !== undefined && child.pid)
            try {
                setPriority(child.pid, m.nice);
            }
            catch {
                /* keeps the helper's priority */
            }
        send({ type: 'spawn', id, pid: child.pid });
    });
    child.once('error', (e) => send({ type: 'error', id, message: e.message, code: e.code }));
    child.stdout.on('data', (chunk) => send({ type: 'stdout', id, chunk }));
    child.stderr.on('data', (chunk) => send({ type: 'stderr', id, chunk }));
    child.stdin.on('error', () => undefined); // EPIPE: the command exited before reading everything
    child.once('close', (code, signal) => {
        children.delete(id);
        // A failed spawn can close before its 'error' (a nextTick) is emitted: report the error first.
        setImmediate(() => send({ type: 'close', id, code, signal }));
    });
});
// The API process is gone (or closed the channel): nothing it started may outlive it.
process.on('disconnect', () => {
    for (const c of children.values())
        c.kill('SIGKILL');
    process.exit(0);
});
send({ type: 'ready' });
//# sourceMappingURL=spawner-child.js.map