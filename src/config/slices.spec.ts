import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { EnvDto, loadEnv } from './env.js';
import { IngestConfig, preparedStatementsOn, SLICES, slicesOf } from './slices.js';

const env = loadEnv(
  {
    DATABASE_URL: 'postgres://a@b/c', DATABASE_WORKER_URL: 'postgres://a@b/c', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
    REDIS_URL: 'redis://127.0.0.1:6379',
    JWT_SECRET: 'x'.repeat(32),
    METRICS_TOKEN: 'm'.repeat(16),
  },
  '/nonexistent',
);

/** Every variable EnvDto validates (each has at least one validator). */
const schemaVars = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvDto, '', true, false)
      .map((m) => m.propertyName),
  ),
];

const camel = (name: string) => name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe('config slices', () => {
  it('every EnvDto variable belongs to exactly one slice', () => {
    const owners = new Map<string, string[]>();
    for (const [key, S] of Object.entries(SLICES))
      for (const name of Object.values(S.vars)) owners.set(name, [...(owners.get(name) ?? []), key]);
    expect(schemaVars.length).toBeGreaterThan(60);
    expect(
      schemaVars.filter((v) => !owners.has(v)),
      'variables in no slice (add them to one in src/config/slices.ts)',
    ).toEqual([]);
    expect(
      [...owners].filter(([, keys]) => keys.length > 1),
      'variables in more than one slice',
    ).toEqual([]);
    expect(
      [...owners.keys()].filter((v) => !schemaVars.includes(v)),
      'slice variables EnvDto does not validate',
    ).toEqual([]);
  });

  it('names each field mechanically: the camelCase of the variable, less a leading prefix', () => {
    for (const S of Object.values(SLICES))
      for (const [field, name] of Object.entries(S.vars)) {
        const ok = name.split('_').some((_, i, parts) => camel(parts.slice(i).join('_')) === field);
        expect(ok, `${field} ← ${name}`).toBe(true);
      }
  });

  it('gives frozen slices holding the validated values', () => {
    const s = slicesOf(env);
    expect(s.ingest).toBeInstanceOf(IngestConfig);
    expect(Object.isFrozen(s.ingest)).toBe(true);
    expect(s.ingest.lockMs).toBe(env.INGEST_LOCK_MS);
    expect(s.database.url).toBe('postgres://a@b/c');
    expect(s.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'rocker' });
    expect(() => {
      (s.redis as { prefix: string }).prefix = 'other';
    }).toThrow(TypeError);
  });

  it('no module outside src/config and src/bootstrap.ts injects the whole Env', () => {
    const src = join(import.meta.dirname, '..');
    const offenders = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => relative(src, join(src, f)))
      .filter((f) => !f.startsWith('config/') && f !== 'bootstrap.ts')
      .filter((f) =>
        /@Inject\(\s*ENV\s*\)|inject:\s*\[[^\]]*\bENV\b/.test(readFileSync(join(src, f), 'utf8')),
      );
    expect(offenders, 'inject a slice from src/config/slices.ts instead of ENV').toEqual([]);
  });

  it('prepared statements: auto means on for a direct DATABASE_URL and off behind a pooler; true and false win', () => {
    const direct = 'postgres://app@db:5432/rocker';
    const pooler = 'postgres://app@pgbouncer:6432/rocker';
    expect(preparedStatementsOn({ url: direct, directUrl: undefined, preparedStatements: 'auto' })).toBe(true);
    expect(preparedStatementsOn({ url: direct, directUrl: direct, preparedStatements: 'auto' })).toBe(true);
    expect(preparedStatementsOn({ url: pooler, directUrl: direct, preparedStatements: 'auto' })).toBe(false);
    expect(preparedStatementsOn({ url: pooler, directUrl: direct, preparedStatements: 'true' })).toBe(true);
    expect(preparedStatementsOn({ url: direct, directUrl: undefined, preparedStatements: 'false' })).toBe(false);
    expect(env.DATABASE_PREPARED_STATEMENTS).toBe('auto');
  });
});
