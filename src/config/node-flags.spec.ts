import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { SERVICE_NODE_FLAGS, threadExecArgv } from './node-flags.js';

/**
 * Every place that starts a service process passes SERVICE_NODE_FLAGS: the npm scripts, the
 * Dockerfile's command (and the worker command its comment gives) and deploy/k8s' containers.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const ENTRY = /dist\/src\/(main|worker)\.js/;

/** Each command line (as text) that runs a service entry point, with where it was found. */
function serviceCommands(): { where: string; command: string }[] {
  const out: { where: string; command: string }[] = [];
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  for (const [name, script] of Object.entries(scripts))
    for (const part of script.split('&&')) if (ENTRY.test(part) && /\bnode\b/.test(part)) out.push({ where: `npm script ${name}`, command: part });
  for (const line of read('Dockerfile').split('\n'))
    if (ENTRY.test(line) && /\[\s*"node"/.test(line))
      for (const m of line.matchAll(/\[[^\]]*dist\/src\/(?:main|worker)\.js"\]/g)) out.push({ where: 'Dockerfile', command: m[0] });
  const k8s = path.join(ROOT, 'deploy', 'k8s');
  for (const file of readdirSync(k8s).filter((f) => f.endsWith('.yaml')))
    for (const line of readFileSync(path.join(k8s, file), 'utf8').split('\n'))
      if (ENTRY.test(line) && /command:/.test(line)) out.push({ where: `deploy/k8s/${file}`, command: line.trim() });
  return out;
}

describe('the service processes\' Node flags', () => {
  const commands = serviceCommands();

  it('finds every place that starts the service (npm start, start:api, start:worker, the image, both k8s containers)', () => {
    const where = commands.map((c) => c.where);
    for (const w of ['npm script start', 'npm script start:api', 'npm script start:worker', 'deploy/k8s/api.yaml', 'deploy/k8s/worker.yaml'])
      expect(where).toContain(w);
    // the CMD and the worker command in its comment
    expect(where.filter((w) => w === 'Dockerfile')).toHaveLength(2);
  });

  it('passes each flag before the script in every one of them', () => {
    expect(SERVICE_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const { where, command } of commands)
      for (const flag of SERVICE_NODE_FLAGS) {
        const at = command.indexOf(flag);
        expect(at, `${where}: ${command}`).toBeGreaterThanOrEqual(0);
        expect(at, `${where}: ${command}`).toBeLessThan(command.search(ENTRY));
      }
  });
});

describe('threadExecArgv', () => {
  const start = (execArgv: string[]) => new Worker('void 0', { eval: true, execArgv }).terminate();

  it('keeps a thread\'s flags and drops the service\'s own, which a thread refuses', async () => {
    const argv = [...SERVICE_NODE_FLAGS, '--no-deprecation', '--input-type=module'];
    expect(threadExecArgv(argv)).toEqual(['--no-deprecation']);
    await expect(start(threadExecArgv(argv))).resolves.toBeDefined();
    expect(() => start([...SERVICE_NODE_FLAGS])).toThrow(expect.objectContaining({ code: 'ERR_WORKER_INVALID_EXEC_ARGV' }));
  });
});
