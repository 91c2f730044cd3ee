import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { ProcessSpawner, type RemoteChild } from './spawner.js';

const ppidOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
};
/** The nice value field of a /proc stat line (field 19). */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
const collect = async (child: RemoteChild) => {
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { out: Buffer.concat(out), code, signal };
};

// Each case starts a helper process (Node, type-stripped): seconds on a busy machine.
describe(ProcessSpawner.name, { timeout: 30_000 }, () => {
  const spawner = new ProcessSpawner();
  afterAll(() => spawner.close());

  it('runs a command: stdin in, stdout out (bytes intact), exit code, pid', async () => {
    const child = spawner.spawn('cat', []);
    const bytes = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256));
    child.stdin.end(bytes);
    const { out, code } = await collect(child);
    expect(code).toBe(0);
    expect(out.equals(bytes)).toBe(true);
    expect(child.pid).toBeGreaterThan(0);
  });

  it('forks in the helper process, not in this one (the point: no fork on this event loop)', async () => {
    const child = spawner.spawn('sleep', ['30']);
    await once(child, 'spawn');
    expect(ppidOf(child.pid!)).toBe(spawner.helperPid());
    expect(spawner.helperPid()).not.toBe(process.pid);
    child.kill('SIGKILL');
    const { signal } = await collect(child);
    expect(signal).toBe('SIGKILL');
    expect(existsSync(`/proc/${child.pid}/stat`) && readFileSync(`/proc/${child.pid}/stat`, 'utf8').includes(') Z')).toBe(false);
  });

  it('passes the environment it is given, and only that', async () => {
    const child = spawner.spawn('sh', ['-c', 'echo "$ROCKER_X-$HOME"'], { env: { ROCKER_X: 'given', PATH: '/usr/bin:/bin' } });
    child.stdin.end();
    expect((await collect(child)).out.toString().trim()).toBe('given-');
  });

  it('a command that does not exist: error (ENOENT), then close', async () => {
    const child = spawner.spawn('/nonexistent/rocker-binary', []);
    // Both listeners first: the helper's 'error' and 'close' can arrive in one IPC read and be
    // emitted in the same tick, before a listener attached after the first await would exist.
    const closed = new Promise((resolve) => child.once('close', resolve)); // events.once would reject on the 'error'
    const [err] = (await once(child, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ENOENT');
    await closed;
  });

  it('if the helper dies, running commands fail and close; the next spawn starts a new helper', async () => {
    const child = spawner.spawn('sleep', ['30']);
    await once(child, 'spawn');
    const errored = once(child, 'error');
    const first = spawner.helperPid();
    process.kill(first, 'SIGKILL');
    expect(String((await errored)[0])).toMatch(/spawner exited/);
    const again = spawner.spawn('echo', ['back']);
    expect((await collect(again)).out.toString().trim()).toBe('back');
    expect(spawner.helperPid()).not.toBe(first);
  });

  it('close() takes the running commands with it; later spawns fail', async () => {
    const own = new ProcessSpawner();
    const child = own.spawn('sleep', ['30']);
    await once(child, 'spawn');
    const closed = once(child, 'close');
    await own.close();
    await closed;
    await expect.poll(() => existsSync(`/proc/${child.pid}`) && !readFileSync(`/proc/${child.pid}/stat`, 'utf8').includes(') Z')).toBe(false);
    const late = own.spawn('echo', ['x']);
    const [err] = (await once(late, 'error')) as [Error];
    expect(err.message).toMatch(/shut down/);
  });

  it('at a nice value (ENGINE_NICE), the helper and every command it starts run at it; this process keeps its own', async () => {
    const niced = new ProcessSpawner(ProcessSpawner.defaultScript(), 7);
    try {
      // /proc/self of `cat` is the command itself
      const { out, code } = await collect(niced.spawn('cat', ['/proc/self/stat']));
      expect(code).toBe(0);
      expect(niceOf(out.toString())).toBe(7);
      expect(niceOf(readFileSync(`/proc/${niced.helperPid()}/stat`, 'utf8'))).toBe(7);
      expect(niceOf(readFileSync(`/proc/${process.pid}/stat`, 'utf8'))).toBe(0);
      // the default spawner leaves its commands alone
      expect(niceOf((await collect(spawner.spawn('cat', ['/proc/self/stat']))).out.toString())).toBe(0);
    } finally {
      await niced.close();
    }
  });

  it('starts a command at a lower priority than the helper when asked, never at a higher one', async () => {
    const niced = new ProcessSpawner(ProcessSpawner.defaultScript(), 7);
    try {
      const statOf = async (nice: number) => {
        const child = niced.spawn('sleep', ['30'], { nice });
        // 'spawn' arrives after the helper has applied the nice value
        await new Promise((r) => child.once('spawn', r));
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGKILL');
        await closed;
        return niceOf(stat);
      };
      expect(await statOf(12)).toBe(12);
      expect(await statOf(3)).toBe(7);
    } finally {
      await niced.close();
    }
  });

  it('renices a running command (an OCR image resumed as its org’s second)', async () => {
    const child = spawner.spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const nice = () => niceOf(readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
    expect(nice()).toBe(0);
    child.renice(15);
    await expect.poll(nice, { timeout: 5000 }).toBe(15);
    const closed = new Promise((r) => child.once('close', r));
    child.kill('SIGKILL');
    await closed;
    child.renice(3); // closed: nothing is sent
  });
});
