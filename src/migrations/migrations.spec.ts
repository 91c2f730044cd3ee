import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './index.js';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const FILE = /^(\d{13})-([A-Z][A-Za-z0-9]*)\.ts$/;

/**
 * The migrations shipped so far, as databases in the field have them recorded. Never edit an entry;
 * add the new migration's name here when it ships (the check below already covers it before then).
 */
const SHIPPED = [
  'Foundation1764100000000',
  'OrgLimits1764100001000',
  'TenantBegin1764100001500',
  'Search1764100200000',
  'IngestJobs1764100300000',
  'FeatureFlags1764100400000',
  'UsageDaily1764100500000',
  'KnowledgeBlobs1764100600000',
  'ListingItemLink1764100700000',
  'IngestNotifyNewOnly1764100800000',
  'IngestClaimOneStatement1764100900000',
  'IngestLeases1764101000000',
  'OrgInvitations1796195199478',
  'VerifiedTenantContext1796205600000',
  'WorkerRole1796205700000',
  'MarketChunkOwnership1796205800000',
];

const names = MIGRATIONS.map((m) => new m().name ?? '');
const timestamp = (name: string) => Number(/(\d{13})$/.exec(name)?.[1] ?? NaN);
const migrationFiles = readdirSync(DIR).filter((f) => FILE.test(f));

describe('MIGRATIONS', () => {
  it('names each migration once, as its class, ending in a 13-digit timestamp', () => {
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(MIGRATIONS.map((m) => m.name));
    for (const n of names) expect(n).toMatch(/^[A-Z][A-Za-z0-9]*\d{13}$/);
    expect(new Set(names.map(timestamp)).size).toBe(names.length);
  });

  it('keeps the shipped migrations first, unchanged and in order', () => {
    expect(names.slice(0, SHIPPED.length)).toEqual(SHIPPED);
  });

  it('appends new migrations with timestamps strictly increasing from the last shipped one', () => {
    // TypeORM runs pending migrations by timestamp: an older timestamp would run out of array order.
    const fromLast = names.slice(SHIPPED.length - 1).map(timestamp);
    for (let i = 1; i < fromLast.length; i++) expect(fromLast[i]).toBeGreaterThan(fromLast[i - 1]);
    // the shipped ones happen to increase too; keep it that way
    const all = names.map(timestamp);
    expect([...all].sort((a, b) => a - b)).toEqual(all);
  });

  it('lists every migration file, under a file name matching its class', () => {
    const expected = names.map((n) => {
      const [, pascal, ts] = /^(.*)(\d{13})$/.exec(n)!;
      return `${ts}-${pascal}.ts`;
    });
    expect([...migrationFiles].sort()).toEqual([...expected].sort());
  });
});

describe('migration files', () => {
  const importsOf = (file: string) =>
    ts
      .preProcessFile(readFileSync(path.join(DIR, file), 'utf8'), true, true)
      .importedFiles.map((f) => f.fileName);

  it.each(migrationFiles)(
    '%s imports nothing but typeorm (its SQL and helpers are frozen in the file)',
    (file) => {
      expect(importsOf(file).filter((s) => s !== 'typeorm')).toEqual([]);
    },
  );

  it('index.ts imports only the migration files', () => {
    const allowed = new Set(migrationFiles.map((f) => `./${f.replace(/\.ts$/, '.js')}`));
    expect(importsOf('index.ts').filter((s) => !allowed.has(s))).toEqual([]);
  });

  it('no other file in src/migrations (specs aside) exists to be imported', () => {
    const others = readdirSync(DIR).filter(
      (f) => !FILE.test(f) && f !== 'index.ts' && !f.endsWith('.spec.ts'),
    );
    expect(others).toEqual([]);
  });
});
