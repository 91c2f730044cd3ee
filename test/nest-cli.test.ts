import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../src/config/node-flags.js';

// `nest build` and `nest start --watch` are too slow to run here; this checks that their
// configuration points at real files and builds where `npm start` looks.
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

interface NestCli {
  sourceRoot: string;
  entryFile: string;
  compilerOptions: { builder: string; tsConfigPath: string };
}
interface TsConfig {
  extends?: string;
  compilerOptions?: { outDir?: string };
}

const cli = readJson<NestCli>('nest-cli.json');
const pkg = readJson<{ scripts: Record<string, string> }>('package.json');

function outDir(path: string): string | undefined {
  const ts = readJson<TsConfig>(path);
  return ts.compilerOptions?.outDir ?? (ts.extends ? outDir(ts.extends) : undefined);
}

describe('nest-cli.json', () => {
  it('names an entry file that exists under its source root', () => {
    expect(existsSync(join(cli.sourceRoot, `${cli.entryFile}.ts`))).toBe(true);
  });

  it('builds with tsc from a tsconfig that exists', () => {
    expect(cli.compilerOptions.builder).toBe('tsc');
    expect(existsSync(cli.compilerOptions.tsConfigPath)).toBe(true);
  });

  it('puts the entry file where `npm start` runs it, and start:dev uses the CLI', () => {
    const built = join(outDir(cli.compilerOptions.tsConfigPath)!, cli.sourceRoot, `${cli.entryFile}.js`);
    expect(pkg.scripts.start).toBe(['node', ...SERVICE_NODE_FLAGS, built].join(' '));
    expect(pkg.scripts['start:dev']).toBe('nest start --watch');
  });
});
