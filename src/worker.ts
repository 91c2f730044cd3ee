import { loadEnv, ConfigError } from './config/env.js';
import { createWorker } from './bootstrap.js';

// `npm run start:worker`: the ingest dispatcher and BullMQ processors, plus a health/metrics port (WORKER_PORT).
async function main(): Promise<void> {
  let env;
  try {
    env = loadEnv({ ROCKER_ROLE: 'worker' });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78);
    }
    throw e;
  }
  await createWorker(env);
}

void main();
