import { loadEnv, ConfigError } from './config/env.js';

// The queue workers arrive with the ingest pipeline; until then the worker process refuses to pretend.
try {
  loadEnv();
  console.error('the worker process is not available yet: the ingest pipeline has not landed');
  process.exit(1);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(78);
  }
  throw e;
}
