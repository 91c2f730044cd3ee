// One API instance for bench/limits.ts, in its own process (so the load generator does not share
// its event loop). Configured by environment; prints "PORT <n>" once listening.
import { loadEnv } from '../src/config/env.js';
import { createApp } from '../src/bootstrap.js';
const env = loadEnv({}, '/nonexistent');
const app = await createApp(env, { docs: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.getHttpServer().address();
console.log(`PORT ${typeof addr === 'object' && addr ? addr.port : 0}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
//# sourceMappingURL=limits-server.js.map