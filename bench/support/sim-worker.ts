import { loadEnv } from '../../src/config/env.js';
import { createWorker } from '../../src/bootstrap.js';
import { SimHandlersModule } from './sim-handlers.js';

// A worker process with the simulated handlers (tests and benchmarks spawn it). Prints one JSON line when ready.
const env = loadEnv({ ROCKER_ROLE: 'worker' }, '/nonexistent');
const w = await createWorker(env, { extraModules: [SimHandlersModule] });
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid, port: w.port }) + '\n');
