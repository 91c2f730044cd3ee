import { createApp } from '../../../src/bootstrap.js';
import { loadEnv } from '../../../src/config/env.js';
/**
 * The whole service (guards, tenant transaction, validation, logging at warn) as a process of its
 * own on a free loopback port, for the load harness and the benchmarks: prints `listening <port>`,
 * closes on SIGTERM.
 */
export async function serve(role) {
    const env = loadEnv({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ROCKER_ROLE: role });
    const app = await createApp(env, { docs: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.getHttpServer().address();
    console.log(`listening ${typeof addr === 'object' && addr ? addr.port : 0}`);
    process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
//# sourceMappingURL=serve.js.map