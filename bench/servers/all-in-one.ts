import { createApp } from '../../src/bootstrap.js';
import { loadEnv } from '../../src/config/env.js';

/**
 * The whole service in one process, API and ingest workers (ROCKER_ROLE=all, as `npm start`
 * runs it), on a free loopback port: the process bench/fair-share.ts and test/serial share.
 */
const env = loadEnv({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ROCKER_ROLE: 'all' });
const app = await createApp(env, { docs: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.getHttpServer().address();
console.log(`listening ${typeof addr === 'object' && addr ? addr.port : 0}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
