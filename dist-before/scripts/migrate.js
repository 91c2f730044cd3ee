import dataSource from '../ormconfig.js';
import { loadEnv } from '../src/config/env.js';
import { describeInstall, installContextKeysAt } from './context-keys.js';
/** npm run migrate | migrate:revert — as the owner role; `up` then installs TENANT_CONTEXT_KEYS (npm run context-keys). */
async function main() {
    const direction = process.argv[2] ?? 'up';
    await dataSource.initialize();
    try {
        if (direction === 'down') {
            await dataSource.undoLastMigration({ transaction: 'each' });
            console.log('reverted the last migration');
        }
        else {
            const ran = await dataSource.runMigrations({ transaction: 'each' });
            console.log(ran.length ? `applied: ${ran.map((m) => m.name).join(', ')}` : 'no pending migrations');
            // the service's tenant-context keys, where tenant_begin() verifies them (adds; never removes)
            const env = loadEnv();
            console.log(describeInstall(await installContextKeysAt(env.DATABASE_OWNER_URL ?? env.DATABASE_URL, env.TENANT_CONTEXT_KEYS), false));
        }
    }
    finally {
        await dataSource.destroy();
    }
}
main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
//# sourceMappingURL=migrate.js.map