import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setPriority } from 'node:os';
import { PassThrough, Writable } from 'node:stream';

type FromChild =
  | { type: 'ready' }
  | { type: 'spawn'; id: number; pid: number }
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'stdout' | 'stderr'; id: number; chunk: Uint8Array }
  | { type: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

/**
 * A command started by the spawner process, shaped like the parts of ChildProcess the callers use:
 * `pid` (after 'spawn'), stdin/stdout/stderr streams, `kill()`, and the 'spawn', 'error' and
 * 'close' events. stdout is not flow-controlled across the IPC channel: callers bound their output
 * (TTS text length, OCR's 10 MiB cap).
 */
export class RemoteChild extends EventEmitter {
  pid: number | undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;
  private closed = false;

  constructor(
    private readonly id: number,
    private readonly post: (msg: unknown) => void,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        post({ type: 'stdin', id, chunk });
        cb();
      },
      final: (cb) => {
        post({ type: 'stdin-end', id });
        cb();
      },
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.closed) return false;
    this.post({ type: 'kill', id: this.id, signal });
    return true;
  }

  /** Runs the command at this nice value from now on (only ever a lower priority than the helper's). */
  renice(nice: number): void {
    if (!this.closed) this.post({ type: 'nice', id: this.id, nice });
  }

  /** @internal */
  onMessage(m: FromChild): void {
    if (m.type === 'spawn') {
      this.pid = m.pid;
      this.emit('spawn');
    } else if (m.type === 'stdout') this.stdout.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
    else if (m.type === 'stderr') this.stderr.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
    else if (m.type === 'error') this.emit('error', Object.assign(new Error(m.message), { code: m.code }));
    else if (m.type === 'close') this.finish(m.code, m.signal);
  }

  /** 'error' only reaches a caller that listens (an unheard 'error' would throw). */
  fail(message: string): void {
    if (this.listenerCount('error')) this.emit('error', new Error(message));
  }

  /** @internal */
  finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    this.stdout.end();
    this.stderr.end();
    this.emit('close', code, signal);
  }
}

/**
 * Starts external commands (espeak-ng, tesseract) from a small helper process instead of this one.
 *
 * Why: `child_process.spawn` forks the calling process synchronously, and a fork costs in
 * proportion to the caller's memory. In an API process with the embedding model loaded, each TTS
 * request's spawn held the event loop for 10-40 ms, so every other org's requests on that process
 * waited behind it (CPU profile of `npm run load:noisy`; `npm run bench:spawn` measures it). The
 * helper is forked once, small, and does the forking; commands still run as our children's
 * children, and die with the helper if this process goes away.
 */
export class ProcessSpawner {
  private helper: ChildProcess | null = null;
  private readonly running = new Map<number, RemoteChild>();
  private next = 1;
  private stopped = false;

  /** `nice`: the helper's nice value (ENGINE_NICE), which every command it starts inherits. */
  constructor(
    private readonly script = ProcessSpawner.defaultScript(),
    readonly nice = 0,
  ) {}

  static defaultScript(): URL {
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    return new URL(`./spawner-child${ext}`, import.meta.url);
  }

  /** The helper's pid, starting it if needed (tests; the OS parent of every command it starts). */
  helperPid(): number {
    return this.ensure().pid!;
  }

  /** `opts.nice`: run the command at this nice value instead of the helper's (only ever lower priority). */
  spawn(cmd: string, args: string[], opts: { env?: Record<string, string>; nice?: number } = {}): RemoteChild {
    const id = this.next++;
    const child = new RemoteChild(id, (msg) => this.post(msg));
    if (this.stopped) {
      queueMicrotask(() => {
        child.fail('the process spawner is shut down');
        child.finish(null, null);
      });
      return child;
    }
    this.running.set(id, child);
    child.once('close', () => {
      this.running.delete(id);
      this.keepAlive();
    });
    const nice = opts.nice !== undefined && opts.nice > this.nice ? opts.nice : undefined;
    this.post({ type: 'spawn', id, cmd, args, env: opts.env, nice });
    this.keepAlive();
    return child;
  }

  async close(): Promise<void> {
    this.stopped = true;
    const h = this.helper;
    this.helper = null;
    if (!h || h.exitCode !== null) return;
    const exited = new Promise((r) => h.once('exit', r));
    h.ref(); // wait for it, even with nothing else keeping this process alive
    h.disconnect(); // the helper kills what it started and exits
    await exited;
  }

  /** A running command keeps this process alive, as a child process would; an idle helper does not. */
  private keepAlive(): void {
    const h = this.helper;
    if (!h) return;
    const channel = h.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (this.running.size) {
      h.ref();
      channel?.ref?.();
    } else {
      h.unref();
      channel?.unref?.();
    }
  }

  private post(msg: unknown): void {
    const h = this.ensure();
    if (h.connected) h.send(msg as object);
  }

  private ensure(): ChildProcess {
    if (this.helper && this.helper.exitCode === null && this.helper.signalCode === null && this.helper.connected) return this.helper;
    const h = fork(this.script, [], {
      serialization: 'advanced', // Buffers cross as bytes, not JSON
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    h.on('message', (m: FromChild) => {
      if (m.type !== 'ready') this.running.get(m.id)?.onMessage(m);
    });
    h.once('exit', () => {
      if (this.helper === h) this.helper = null;
      this.keepAlive();
      // Whatever it was running is gone with it: those callers see an error and a close.
      for (const [id, c] of this.running) {
        this.running.delete(id);
        // After close() this was asked for: the commands end, nothing failed.
        if (!this.stopped) c.fail('the process spawner exited');
        c.finish(null, 'SIGKILL');
      }
    });
    h.on('error', () => undefined);
    // Commands (OCR, TTS) yield the CPU to the event loop; they inherit the helper's priority.
    if (this.nice > 0 && h.pid) {
      try {
        setPriority(h.pid, this.nice);
      } catch {
        /* the helper keeps the process's priority */
      }
    }
    this.helper = h;
    this.keepAlive();
    return h;
  }
}
