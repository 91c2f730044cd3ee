import { loadEnv, ConfigError } from './config/env.js';
import { ListenSelfTestError } from './database/listen-self-test.js';
import { createWorker } from './bootstrap.js';
// `npm run start:worker`: the ingest dispatcher and BullMQ processors, plus a health/metrics port (WORKER_PORT).
async function main() {
    let env;
    try {
        env = loadEnv({ ROCKER_ROLE: 'worker' });
    }
    catch (e) {
        if (e instanceof ConfigError) {
            console.error(e.message);
            process.exit(78);
        }
        throw e;
    }
    await createWorker(env);
}
main().catch((e) => {
    // A deployment mistake, not a crash: one clear line (DATABASE_URL behind a pooler, no DATABASE_DIRECT_URL).
    if (e instanceof ListenSelfTestError) {
        console.error(e.message);
        process.exit(78);
    }
    throw e;
});
//# sourceMappingURL=worker.js.map