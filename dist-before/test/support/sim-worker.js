import { loadEnv } from '../../src/config/env.js';
import { startWorker } from './app.js';
import { withSimHandlers } from './sim-handlers.js';
// A worker process with the simulated handlers (tests and benchmarks spawn it). Prints one JSON line when ready.
const env = loadEnv({ ROCKER_ROLE: 'worker' }, '/nonexistent');
const w = await startWorker(env, { override: withSimHandlers });
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, port: w.port }) + '\n');
//# sourceMappingURL=sim-worker.js.map