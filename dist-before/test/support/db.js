import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { parseContextKeys, tenantBeginParams } from '../../src/tenancy/context-mac.js';
import { TEST_CONTEXT_KEYS } from './env.js';
import { ADMIN_URL, dbUrl, pooledUrl, VIA_PGBOUNCER } from './urls.js';
/** The keys of TEST_CONTEXT_KEYS (installed in the template): [0] signs, [1] is the other valid one. */
export const TEST_KEYS = parseContextKeys(TEST_CONTEXT_KEYS);
/** A fresh database cloned from the migrated template. */
export async function createTestDb() {
    const name = `rocker_t_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')} OWNER rocker_owner`);
    await admin.end();
    const pools = [];
    const pool = (connectionString, max) => {
        const p = new pg.Pool({ connectionString, max });
        p.on('error', () => undefined); // idle clients are terminated by DROP DATABASE ... WITH (FORCE)
        pools.push(p);
        return p;
    };
    const owner = pool(dbUrl(name, 'rocker_owner'), 4);
    return {
        name,
        appUrl: VIA_PGBOUNCER ? pooledUrl(dbUrl(name, 'rocker_app')) : dbUrl(name, 'rocker_app'),
        appDirectUrl: dbUrl(name, 'rocker_app'),
        workerUrl: VIA_PGBOUNCER ? pooledUrl(dbUrl(name, 'rocker_worker')) : dbUrl(name, 'rocker_worker'),
        ownerUrl: dbUrl(name, 'rocker_owner'),
        owner,
        pool,
        async drop() {
            for (const p of pools)
                if (!p.ending)
                    await p.end();
            const a = new pg.Client({ connectionString: ADMIN_URL });
            await a.connect();
            await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await a.end();
        },
    };
}
/**
 * Runs fixture SQL as the owner role with an org set (FORCE RLS applies to the owner as well; the
 * policies trust the owner's own settings, see the VerifiedTenantContext migration). As the app
 * role, set_config alone opens nothing: use asTenant.
 */
export async function asOrg(pool, orgId, fn) {
    const c = await pool.connect();
    try {
        await c.query('BEGIN');
        await c.query(`SELECT set_config('app.org_id', $1, true)`, [orgId ?? '']);
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
    }
    catch (e) {
        await c.query('ROLLBACK');
        throw e;
    }
    finally {
        c.release();
    }
}
/** tenant_begin()'s eight parameters for `ctx`, signed with a test key (the first by default). */
export function signedBegin(ctx, opts = {}) {
    const key = opts.key ?? TEST_KEYS[0];
    return tenantBeginParams(key, {
        orgId: ctx.orgId,
        userId: ctx.userId ?? null,
        role: ctx.role ?? null,
        actorRole: ctx.actorRole ?? (ctx.role ?? (ctx.userId ? 'user' : 'system')),
        requestId: ctx.requestId ?? 'test',
    }, opts.expiresMs ?? Date.now() + 60_000);
}
export const TENANT_BEGIN = 'SELECT tenant_begin($1, $2, $3, $4, $5, $6, $7, $8)';
/** Opens a verified tenant context on `c` (inside its transaction), as the service does. */
export async function beginTenant(c, ctx, opts = {}) {
    await c.query(TENANT_BEGIN, signedBegin(ctx, opts));
}
/** Runs `fn` in one transaction of `pool` (the app or worker role) under a verified tenant context. */
export async function asTenant(pool, ctx, fn) {
    const c = await pool.connect();
    try {
        await c.query('BEGIN');
        await beginTenant(c, ctx);
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
    }
    catch (e) {
        await c.query('ROLLBACK');
        throw e;
    }
    finally {
        c.release();
    }
}
//# sourceMappingURL=db.js.map