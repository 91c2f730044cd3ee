// The spawner process: starts the commands the API asks for and relays their pipes over IPC.
// Erasable TypeScript only, no relative imports: it runs straight from src under Node's type
// stripping (tests) and from dist after tsc (see local-embedding.worker.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';

type ToChild =
  | { type: 'spawn'; id: number; cmd: string; args: string[]; env?: Record<string, string>; nice?: number }
  | { type: 'stdin'; id: number; chunk: Uint8Array }
  | { type: 'stdin-end'; id: number }
  | { type: 'kill'; id: number; signal: NodeJS.Signals }
  | { type: 'nice'; id: number; nice: number };

const children = new Map<number, ChildProcess>();

/** Lower than the helper's own priority when asked (raising a nice value needs no privilege). */
function renice(child: ChildProcess, nice: number): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    setPriority(child.pid, nice);
  } catch {
    /* keeps its priority (it may have just exited) */
  }
}
// With a callback, a send to a parent that is already gone fails quietly instead of throwing.
const send = (msg: unknown) => {
  if (process.connected) process.send!(msg, undefined, {}, () => undefined);
};

process.on('message', (m: ToChild) => {
  if (m.type !== 'spawn') {
    const child = children.get(m.id);
    if (!child) return;
    if (m.type === 'stdin') child.stdin!.write(m.chunk);
    else if (m.type === 'stdin-end') child.stdin!.end();
    else if (m.type === 'nice') renice(child, m.nice);
    else child.kill(m.signal);
    return;
  }
  const { id } = m;
  let child: ChildProcess;
  try {
    child = spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'], ...(m.env ? { env: m.env } : {}) });
  } catch (e) {
    send({ type: 'error', id, message: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
    send({ type: 'close', id, code: null, signal: null });
    return;
  }
  children.set(id, child);
  child.once('spawn', () => {
    if (m.nice !== undefined) renice(child, m.nice);
    send({ type: 'spawn', id, pid: child.pid });
  });
  child.once('error', (e: NodeJS.ErrnoException) => send({ type: 'error', id, message: e.message, code: e.code }));
  child.stdout!.on('data', (chunk: Buffer) => send({ type: 'stdout', id, chunk }));
  child.stderr!.on('data', (chunk: Buffer) => send({ type: 'stderr', id, chunk }));
  child.stdin!.on('error', () => undefined); // EPIPE: the command exited before reading everything
  child.once('close', (code, signal) => {
    children.delete(id);
    // A failed spawn can close before its 'error' (a nextTick) is emitted: report the error first.
    setImmediate(() => send({ type: 'close', id, code, signal }));
  });
});

// The API process is gone (or closed the channel): nothing it started may outlive it.
process.on('disconnect', () => {
  for (const c of children.values()) c.kill('SIGKILL');
  process.exit(0);
});
send({ type: 'ready' });
