import type pg from 'pg';

/**
 * The most statements of database `dbName` seen active at once, other than this poll's own, whose
 * text is LIKE `pattern`, sampled back to back until `work` settles (as a superuser: another role's
 * query text is hidden from the rest). With how many samples were taken, so a test can tell "never
 * two at once" from "never looked".
 */
export async function peakActive(su: pg.Pool, dbName: string, pattern: string, work: Promise<unknown>): Promise<{ most: number; samples: number }> {
  let done = false;
  const settled = work.then(
    () => (done = true),
    () => (done = true),
  );
  let most = 0;
  let samples = 0;
  while (!done) {
    const { rows } = await su.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid() AND query LIKE $2`,
      [dbName, pattern],
    );
    most = Math.max(most, rows[0].n);
    samples++;
  }
  await settled;
  return { most, samples };
}
