import pg from 'pg';
import { createDataSource } from '../../src/database/data-source.js';
import { BENCH_CONTEXT_KEYS, installBenchKeys } from './context.js';
const HOST = process.env.BENCH_PG_HOST ?? '127.0.0.1:5432';
export const ADMIN = process.env.PG_ADMIN_URL ?? `postgres://postgres@${HOST}/postgres`;
/** `fn` on a connection of the superuser to the `postgres` database, closed after. */
export async function withAdmin(fn) {
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    try {
        return await fn(c);
    }
    finally {
        await c.end();
    }
}
/** A fresh, migrated database for one benchmark run. */
export async function createBenchDb(name) {
    const admin = new pg.Client({ connectionString: ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name} OWNER rocker_owner`);
    await admin.end();
    const ownerUrl = `postgres://rocker_owner:rocker_owner@${HOST}/${name}`;
    const ds = createDataSource({ url: ownerUrl, poolSize: 1 });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    await installBenchKeys(ownerUrl);
    return {
        name,
        ownerUrl,
        appUrl: `postgres://rocker_app:rocker_app@${HOST}/${name}`,
        workerUrl: `postgres://rocker_worker:rocker_worker@${HOST}/${name}`,
        contextKeys: BENCH_CONTEXT_KEYS,
        async drop() {
            const a = new pg.Client({ connectionString: ADMIN });
            await a.connect();
            await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await a.end();
        },
    };
}
//# sourceMappingURL=db.js.map