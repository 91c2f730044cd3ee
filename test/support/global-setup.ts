import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createDataSource } from '../../src/database/data-source.js';
import { installContextKeys } from '../../scripts/context-keys.js';
import { parseContextKeys } from '../../src/tenancy/context-mac.js';
import { REDIS_TAG_VAR, TEST_CONTEXT_KEYS } from './env.js';
import { ADMIN_URL, dbUrl, REDIS_URL } from './urls.js';

/**
 * Once per run: a template database migrated as the owner role. Each test file clones it
 * (CREATE DATABASE ... TEMPLATE), which takes milliseconds and isolates files from each other.
 * The name carries the pid so that parallel runs on one machine do not collide.
 */
export default async function setup(project: TestProject) {
  // The Redis prefixes of this run's test apps (envFor) carry one tag, set here before the test
  // workers start (they inherit it): what the run leaves in Redis is dropped at its end.
  const ownsTag = !process.env[REDIS_TAG_VAR];
  if (ownsTag) process.env[REDIS_TAG_VAR] = tagOf(randomBytes(3));
  const tag = process.env[REDIS_TAG_VAR]!;
  // Suites that spawn real worker processes run dist/ (node cannot run the decorated TS itself).
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const template = `rocker_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${template} OWNER rocker_owner`);
  const owner = createDataSource({ url: dbUrl(template, 'rocker_owner'), poolSize: 1 });
  await owner.initialize();
  await owner.runMigrations({ transaction: 'each' });
  await owner.destroy();
  // The test signing keys (test/support/env.ts), where tenant_begin() verifies them.
  const keys = new pg.Client({ connectionString: dbUrl(template, 'rocker_owner') });
  await keys.connect();
  await installContextKeys(keys, parseContextKeys(TEST_CONTEXT_KEYS));
  await keys.end();
  project.provide('templateDb', template);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
    if (ownsTag) await dropTagged(tag);
  };
}

/** Three characters of [a-z0-9] from three random bytes. */
const tagOf = (b: Buffer) => [...b].map((x) => (x % 36).toString(36)).join('');

/** Deletes the keys of every prefix envFor made under `tag` (best effort: Redis may be gone). */
async function dropTagged(tag: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `t${tag}?????:*`, count: 1000 }))
      if ((keys as string[]).length) await redis.unlink(...(keys as string[]));
  } catch {
    /* the keys stay, under prefixes no other run uses */
  } finally {
    redis.disconnect();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string;
  }
}
