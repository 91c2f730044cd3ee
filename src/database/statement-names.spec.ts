import { describe, expect, it } from 'vitest';
import { plannedPerValue, spoilsPreparedStatements, StatementNames } from './statement-names.js';

describe('StatementNames', () => {
  const page = 'SELECT id FROM rocker_threads WHERE org_id = $1 ORDER BY created_at DESC LIMIT $2';

  it('names a text once and gives it the same name every time; another text another name', () => {
    const names = new StatementNames(true);
    const a = names.config(page, ['o', 21]);
    expect(a).toEqual({ name: expect.stringMatching(/^rocker_\d+$/), text: page, values: ['o', 21] });
    expect(names.config(page, ['p', 5]).name).toBe(a.name);
    expect(names.config(`${page} -- other`, []).name).not.toBe(a.name);
  });

  it('disabled, or past its cap, sends texts unnamed', () => {
    expect(new StatementNames(false).config(page, [1]).name).toBeUndefined();
    const capped = new StatementNames(true, 1);
    expect(capped.config(page, []).name).toBeDefined();
    expect(capped.config(`${page} -- second`, []).name).toBeUndefined();
    expect(capped.config(page, []).name).toBeDefined(); // the first keeps its name
  });

  it('a filter a parameter switches off, or a full-text match, is never prepared (its plan depends on its values)', () => {
    const jobs = `SELECT id FROM ingest_jobs WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) LIMIT $3`;
    expect(plannedPerValue(jobs)).toBe(true);
    expect(plannedPerValue(`WHERE ($1::timestamptz is null or (created_at, id) > ($1, $2))`)).toBe(true);
    expect(plannedPerValue(page)).toBe(false);
    expect(plannedPerValue(`SELECT id FROM t WHERE a IS NULL AND b = $1`)).toBe(false);
    expect(plannedPerValue(`SELECT id FROM c WHERE org_id = $1 AND tsv @@ websearch_to_tsquery('english', $2) LIMIT $3`)).toBe(true);
    const names = new StatementNames(true);
    expect(names.config(jobs, ['o', null, 21]).name).toBeUndefined();
    expect(names.config(jobs, ['o', 'failed', 21]).name).toBeUndefined();
  });

  it('stale prepared statements: 0A000 cached plan and 26000; other errors are not', () => {
    expect(spoilsPreparedStatements({ code: '0A000', message: 'cached plan must not change result type' })).toBe(true);
    expect(spoilsPreparedStatements({ code: '26000', message: 'prepared statement "rocker_3" does not exist' })).toBe(true);
    expect(spoilsPreparedStatements({ code: '0A000', message: 'FOR UPDATE is not allowed with aggregate functions' })).toBe(false);
    expect(spoilsPreparedStatements({ code: '22012', message: 'division by zero' })).toBe(false);
    expect(spoilsPreparedStatements(null)).toBe(false);
  });
});
