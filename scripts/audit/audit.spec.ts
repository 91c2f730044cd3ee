import { describe, expect, it } from 'vitest';
import { looksLikeSql } from './check-db-access.js';
import { protectionOf } from './check-tenant-guards.js';
import { pathMatches, PUBLIC_ROUTES } from './route-policy.js';
import { adminUrlFor } from './run.js';
import { parseWarning, redactUrl, sqlOf } from './sql-audit.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

describe('pathMatches', () => {
  it.each([
    ['/health/*', '/health/live', true],
    ['/health/*', '/health', false],
    ['/health/*', '/health/a/b', false],
    ['/docs/**', '/docs/openapi.json', true],
    ['/docs/**', '/docs', true],
    ['/v1/admin/**', '/v1/admin/flags/:key/orgs/:orgId', true],
    ['/v1/admin/**', '/v1/administrator', false],
    ['/v1/knowledge/*/publish', '/v1/knowledge/:id/publish', true],
    ['/metrics', '/metrics/x', false],
  ])('%s ~ %s = %s', (pattern, p, expected) => {
    expect(pathMatches(pattern, p)).toBe(expected);
  });

  it('keeps the public allowlist to health, metrics and docs', () => {
    expect(PUBLIC_ROUTES.map((r) => r.pattern)).toEqual(['/health/*', '/metrics', '/docs', '/docs/**']);
    for (const r of PUBLIC_ROUTES) expect(r.reason.length).toBeGreaterThan(10);
  });
});

describe('looksLikeSql', () => {
  it.each([
    'SELECT id FROM rocker_threads',
    'select id from rocker_threads where id = $1',
    'INSERT INTO t (a) VALUES ($1)',
    'UPDATE rocker_threads SET title = $1',
    'DELETE FROM t',
    "SELECT set_config('app.org_id', $1, false)",
    "select current_setting('app.org_id')",
    'with x as (select 1) select * from x',
    'SET ROLE rocker_owner',
    'DROP TABLE t',
  ])('finds SQL in %j', (s) => {
    expect(looksLikeSql(s)).toBe(true);
  });

  it.each([
    'select a file from the list',
    'the thread was deleted',
    'Update your settings',
    'delete from the list below',
    'text/plain',
    'this action needs the admin role',
  ])('leaves prose alone: %j', (s) => {
    expect(looksLikeSql(s)).toBe(false);
  });
});

describe('protectionOf', () => {
  it('names the strongest requirement first, tenant by default', () => {
    expect(protectionOf({ isPublic: true, superAdmin: true, noOrg: false })).toBe('public');
    expect(protectionOf({ isPublic: false, superAdmin: true, noOrg: true })).toBe('super_admin + no-org');
    expect(protectionOf({ isPublic: false, superAdmin: false, role: 'admin', noOrg: false })).toBe(
      'roles:admin',
    );
    expect(protectionOf({ isPublic: false, superAdmin: false, noOrg: false })).toBe('tenant');
  });
});

describe('SQL audit plumbing', () => {
  it("points PG_ADMIN_URL at DATABASE_URL's database", () => {
    expect(
      adminUrlFor(
        'postgres://postgres@127.0.0.1:5432/postgres',
        'postgres://rocker_app:pw@127.0.0.1:5432/rocker',
      ),
    ).toBe('postgres://postgres@127.0.0.1:5432/rocker');
    expect(adminUrlFor(undefined, 'postgres://x@h/db')).toBeUndefined();
  });

  it('parses a WARNING into where / problem / fix, signatures with spaces included', () => {
    expect(
      parseWarning(
        'rls',
        'public.f(uuid, text): SECURITY DEFINER without a fixed search_path -- fix: ALTER FUNCTION ...',
      ),
    ).toEqual({
      audit: 'rls',
      where: 'public.f(uuid, text)',
      problem: 'SECURITY DEFINER without a fixed search_path',
      fix: 'ALTER FUNCTION ...',
    });
  });

  it('never prints a password', () => {
    expect(redactUrl('postgres://rocker_app:secret@127.0.0.1:5432/rocker')).toBe(
      'postgres://rocker_app:***@127.0.0.1:5432/rocker',
    );
  });

  it('drops psql meta-commands and keeps the SQL', () => {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'verify-rls.sql');
    const sql = sqlOf(file);
    expect(sql).not.toMatch(/^\s*\\/m);
    expect(sql).toContain('RAISE EXCEPTION');
  });
});
