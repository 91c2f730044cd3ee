import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.spec.ts', 'scripts/**/*.spec.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/serial/**'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each file gets its own database cloned from the migrated template; 2 cores here.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        extends: true,
        test: {
          // The isolation, RLS, cross-instance auth cache and one ingest suite again, with the app
          // role's DATABASE_URL through PgBouncer (transaction pooling, :6432, started by setup) and
          // DATABASE_DIRECT_URL direct (test/support/env.ts). The other suites run direct only.
          name: 'pgbouncer',
          include: [
            'test/isolation.e2e.test.ts',
            'test/rls.db.test.ts',
            'test/auth-cache.test.ts',
            'test/ingest.worker.test.ts',
          ],
          env: { TEST_VIA_PGBOUNCER: '1' },
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
      {
        extends: true,
        test: {
          // Latency-ratio suites (one org's abuse vs another org's latency): alone on the machine,
          // one file at a time, never beside the other suites (scripts/run-tests.js runs them last).
          name: 'serial',
          include: ['test/serial/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
