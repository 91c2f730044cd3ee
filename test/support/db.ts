import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { ADMIN_URL, dbUrl } from './urls.js';

export interface TestDb {
  name: string;
  appUrl: string;
  ownerUrl: string;
  /** A pool as the owner role (fixtures); RLS is forced for it too, so fixtures set the org. */
  owner: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template. */
export async function createTestDb(): Promise<TestDb> {
  const name = `rocker_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')} OWNER rocker_owner`);
  await admin.end();
  const owner = new pg.Pool({ connectionString: dbUrl(name, 'rocker_owner'), max: 4 });
  owner.on('error', () => undefined); // idle clients are terminated by DROP DATABASE ... WITH (FORCE)
  return {
    name,
    appUrl: dbUrl(name, 'rocker_app'),
    ownerUrl: dbUrl(name, 'rocker_owner'),
    owner,
    async drop() {
      await owner.end();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Runs fixture SQL as the owner role with an org set (FORCE RLS applies to the owner as well). */
export async function asOrg<T>(pool: pg.Pool, orgId: string | null, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId ?? '']);
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  } finally {
    c.release();
  }
}
