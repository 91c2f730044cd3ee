import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { createDataSource } from '../../src/database/data-source.js';
import { installContextKeys } from '../../scripts/context-keys.js';
import { parseContextKeys } from '../../src/tenancy/context-mac.js';
import { TEST_CONTEXT_KEYS } from './env.js';
import { ADMIN_URL, dbUrl } from './urls.js';
/**
 * Once per run: a template database migrated as the owner role. Each test file clones it
 * (CREATE DATABASE ... TEMPLATE), which takes milliseconds and isolates files from each other.
 * The name carries the pid so that parallel runs on one machine do not collide.
 */
export default async function setup(project) {
    // Suites that spawn real worker processes run dist/ (node cannot run the decorated TS itself).
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    const template = `rocker_tpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${template} OWNER rocker_owner`);
    const owner = createDataSource({ url: dbUrl(template, 'rocker_owner'), poolSize: 1 });
    await owner.initialize();
    await owner.runMigrations({ transaction: 'each' });
    await owner.destroy();
    // The test signing keys (test/support/env.ts), where tenant_begin() verifies them.
    const keys = new pg.Client({ connectionString: dbUrl(template, 'rocker_owner') });
    await keys.connect();
    await installContextKeys(keys, parseContextKeys(TEST_CONTEXT_KEYS));
    await keys.end();
    project.provide('templateDb', template);
    return async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
        await admin.end();
    };
}
//# sourceMappingURL=global-setup.js.map