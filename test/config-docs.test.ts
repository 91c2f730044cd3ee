import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { loadEnv } from '../src/config/env.js';
import {
  describeEnv,
  DOC_PATH,
  firstDifference,
  OUTSIDE_SCHEMA,
  renderConfigDocs,
  ROOT,
} from '../scripts/gen-config-docs.js';

const names = describeEnv().map((v) => v.name);

/** The lines of scripts/setup.sh that write .env: from its rand() helper to the heredoc's end. */
function setupEnvWriter(): string {
  const lines = readFileSync(join(ROOT, 'scripts/setup.sh'), 'utf8').split('\n');
  const from = lines.findIndex((l) => /^\s*rand\(\)/.test(l));
  const to = lines.findIndex((l, i) => i > from && l === 'ENV');
  expect(from, 'scripts/setup.sh: rand() before the .env heredoc').toBeGreaterThan(-1);
  expect(to, 'scripts/setup.sh: the .env heredoc ends with a line "ENV"').toBeGreaterThan(from);
  return lines.slice(from, to + 1).join('\n');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('docs/configuration.md', () => {
  it('is what scripts/gen-config-docs.ts renders from src/config/env.ts', async () => {
    const expected = await renderConfigDocs();
    const actual = readFileSync(DOC_PATH, 'utf8');
    expect(
      actual === expected,
      `docs/configuration.md is stale: run npm run docs:config (${firstDifference(expected, actual)})`,
    ).toBe(true);
  });

  it('names every variable of EnvDto and prints no secret value', async () => {
    const page = await renderConfigDocs();
    expect(names.length).toBeGreaterThan(50);
    expect(names.filter((n) => !page.includes(`\`${n}\``))).toEqual([]);
    for (const v of describeEnv().filter((d) => d.secret)) {
      const row = page.split('\n').find((l) => l.startsWith(`| \`${v.name}\``))!;
      expect(row, v.name).toContain('(secret)');
      if (typeof v.default === 'string' && v.default) expect(row).not.toContain(v.default);
    }
  });

  it('every process.env read in src/ is in EnvDto or listed as read outside the schema', () => {
    const read = new Set<string>();
    for (const f of tsFiles(join(ROOT, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(
        /process\.env(?:\.([A-Z0-9_]+)|\[['"]([A-Z0-9_]+)['"]\])/g,
      ))
        read.add(m[1] ?? m[2]);
    }
    const known = new Set<string>([...names, ...OUTSIDE_SCHEMA, 'PATH']);
    expect(
      [...read].filter((n) => !known.has(n)),
      'add them to EnvDto, or to OUTSIDE_SCHEMA and the page',
    ).toEqual([]);
  });
});

describe('the .env scripts/setup.sh writes', () => {
  let written: Record<string, string>;
  let text: string;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'rocker-setup-env-'));
    try {
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', setupEnvWriter()], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      text = readFileSync(join(dir, '.env'), 'utf8');
      written = parseEnv(text) as Record<string, string>;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sets every variable of EnvDto or names it in a comment', () => {
    const commented = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .flatMap((l) => l.match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? []),
    );
    expect(names.filter((n) => !(n in written) && !commented.has(n))).toEqual([]);
  });

  it('sets only variables the service reads (EnvDto, or read outside it) and passes validation', () => {
    const extra = Object.keys(written).filter(
      (n) => !names.includes(n) && !(OUTSIDE_SCHEMA as readonly string[]).includes(n),
    );
    expect(extra).toEqual(['PG_ADMIN_URL']); // for setup and npm run audit, documented on the page
    expect(() => loadEnv(written, '/nonexistent')).not.toThrow();
    expect(written.JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
  });
});
