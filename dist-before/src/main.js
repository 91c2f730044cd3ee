import { loadEnv, ConfigError } from './config/env.js';
import { ListenSelfTestError } from './database/listen-self-test.js';
import { createApp, exitWithin } from './bootstrap.js';
async function main() {
    let env;
    try {
        env = loadEnv();
    }
    catch (e) {
        if (e instanceof ConfigError) {
            console.error(e.message);
            process.exit(78);
        }
        throw e;
    }
    const app = await createApp(env);
    exitWithin(env);
    await app.listen({ port: env.PORT, host: '0.0.0.0' });
}
main().catch((e) => {
    // A deployment mistake, not a crash: one clear line (DATABASE_URL behind a pooler, no DATABASE_DIRECT_URL).
    if (e instanceof ListenSelfTestError) {
        console.error(e.message);
        process.exit(78);
    }
    throw e;
});
//# sourceMappingURL=main.js.map