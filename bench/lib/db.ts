import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { createDataSource } from '../../src/database/data-source.js';
import { BENCH_CONTEXT_KEYS, installBenchKeys } from './context.js';

const HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';
export const ADMIN = process.env.PG_ADMIN_URL ?? `postgres://postgres@${HOST}/postgres`;

export interface BenchDb {
  name: string;
  appUrl: string;
  workerUrl: string;
  ownerUrl: string;
  /** TENANT_CONTEXT_KEYS for the processes under test (installed in this database). */
  contextKeys: string;
  drop(): Promise<void>;
}

/** `fn` on a connection of the superuser to the `postgres` database, closed after. */
export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh, migrated database for one benchmark run. */
export async function createBenchDb(name: string): Promise<BenchDb> {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name} OWNER rocker_owner`);
  await admin.end();
  const ownerUrl = `postgres://rocker_owner:rocker_owner@${HOST}/${name}`;
  const ds = createDataSource({ url: ownerUrl, poolSize: 1 });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  await installBenchKeys(ownerUrl);
  return {
    name,
    ownerUrl,
    appUrl: `postgres://rocker_app:rocker_app@${HOST}/${name}`,
    workerUrl: `postgres://rocker_worker:rocker_worker@${HOST}/${name}`,
    contextKeys: BENCH_CONTEXT_KEYS,
    async drop() {
      const a = new pg.Client({ connectionString: ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * The environment of an all-in-one service process on `db` under its own Redis prefix and JWT
 * settings, as bench:fair-share and bench:page-loads start it (shipped defaults otherwise).
 */
export function serviceEnv(
  db: BenchDb,
  prefix: string,
  jwt: Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.appUrl,
    DATABASE_WORKER_URL: db.workerUrl,
    TENANT_CONTEXT_KEYS: db.contextKeys,
    DATABASE_OWNER_URL: db.ownerUrl,
    REDIS_URL: process.env.FAIR_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    REDIS_PREFIX: prefix,
    METRICS_TOKEN: `m-${randomBytes(12).toString('hex')}`,
    ...jwt,
    ...extra,
  };
}
