import { createApp } from '../../src/bootstrap.js';
import { loadEnv } from '../../src/config/env.js';

/** The whole service (guards, tenant transaction, validation, logging at warn) for the benchmarks. */
const env = loadEnv({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ROCKER_ROLE: 'api' });
const app = await createApp(env, { docs: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.getHttpServer().address();
console.log(`listening ${typeof addr === 'object' && addr ? addr.port : 0}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
