import { loadEnv, type Env } from '../../src/config/env.js';

/** The typed slices of an Env, to construct a class by hand: `new OrgSlots(redis, slicesOf(env).ingest, slicesOf(env).redis)`. */
export { slicesOf } from '../../src/config/slices.js';
import { directUrl, isPooled, REDIS_URL } from './urls.js';

/** Fixed test keys (never used outside tests): `test1` signs, `test2` is the other valid one of a rotation. */
export const TEST_CONTEXT_KEYS = [
  `test1:${Buffer.alloc(32, 1).toString('base64')}`,
  `test2:${Buffer.alloc(32, 2).toString('base64')}`,
].join(',');

export const TEST_ENV_VARS: Record<string, string> = {
  NODE_ENV: 'test',
  JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
  JWT_ISSUER: 'rocker-test',
  JWT_AUDIENCE: 'rocker-api',
  METRICS_TOKEN: 'test-metrics-token-0123456789',
  REDIS_URL,
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  DATABASE_WORKER_URL: 'postgres://unused@127.0.0.1/unused',
  // Two keys, both installed in the test template (global-setup.ts): the first signs.
  TENANT_CONTEXT_KEYS: TEST_CONTEXT_KEYS,
  // Shedding by event-loop load would make functional suites depend on how busy the machine is;
  // the admission suites turn it on (test/serial/, src/common/admission/).
  ADMISSION_MAX_LAG_MS: '0',
  // Functional ingest suites post bursts of items; the start rate has its own suite (ingest.rate).
  INGEST_ORG_RATE: '0',
  ADMISSION_MAX_UTILIZATION: '0',
  // Functional suites send refused requests back to back and read each 429 at once; pacing has its
  // own tests (test/limits.pacing.e2e.test.ts) and the serial fair-share suite runs at the default.
  RATE_LIMIT_REFUSAL_PACE_MS: '0',
  // Functional suites send malformed bodies one after another (every refusal they check); the
  // limit on refused bodies has its own suite (test/limits.bad-bodies.e2e.test.ts).
  RATE_LIMIT_BAD_BODIES: '1000000',
  ADMISSION_MAX_SLOWDOWN: '0',
  // Engine threads below the event loop's priority (ENGINE_NICE) starve when the box runs many
  // suites at once and would run into their time limits; the serial fair-share suites use the default.
  ENGINE_NICE: '0',
  // Every test app would start its parser threads at boot; functional suites take them on demand.
  PARSE_WARM_THREADS: '0',
};

export const TEST_ENV = loadEnv(TEST_ENV_VARS, '/nonexistent');

/** The worker role's URL on the same database as an app-role URL. */
export function workerUrlOf(appUrl: string): string {
  const u = new URL(appUrl);
  u.username = 'rocker_worker';
  u.password = 'rocker_worker';
  return u.toString();
}

/**
 * The environment variable with the test run's tag (three characters, set by global-setup.ts): every
 * test app's Redis prefix starts `t<tag>`, and the run drops those keys at its end.
 */
export const REDIS_TAG_VAR = 'ROCKER_TEST_REDIS_TAG';

/** Env for one test app: its own database and its own Redis key prefix (`t`, the run's tag, five random characters). */
export function envFor(appUrl: string, ownerUrl: string, extra: Record<string, string | undefined> = {}): Env {
  const random = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  const tag = process.env[REDIS_TAG_VAR];
  const prefix = `t${tag ? tag + random.slice(0, 5) : random}`;
  // Through PgBouncer, the session work (LISTEN, the claim connection) goes direct, as deployed.
  const DATABASE_DIRECT_URL = isPooled(appUrl) ? directUrl(appUrl) : undefined;
  return loadEnv(
    {
      ...TEST_ENV_VARS,
      DATABASE_URL: appUrl,
      DATABASE_DIRECT_URL,
      DATABASE_WORKER_URL: workerUrlOf(appUrl),
      DATABASE_OWNER_URL: ownerUrl,
      REDIS_PREFIX: prefix,
      // through PgBouncer 1.24 with max_prepared_statements (setup), as deployed: statements stay prepared
      ...(DATABASE_DIRECT_URL ? { DATABASE_PREPARED_STATEMENTS: 'true' } : {}),
      ...extra,
    },
    '/nonexistent',
  );
}
