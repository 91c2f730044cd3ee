import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import pg from 'pg';
import { CONTEXT_KEYS_PATTERN } from '../src/config/env.js';
import { parseContextKeys } from '../src/tenancy/context-mac.js';
import { parseArgs } from './lib/args.js';
/**
 * Makes the database accept `keys` for tenant contexts (table tenant_context_keys, which only
 * rocker_auth and the owner role read). Adds the missing ones; a listed id whose stored secret
 * differs is refused (a key id is never reused for another secret: instances signing with the old
 * one would fail). With `prune`, removes every stored key not listed: the last step of a rotation.
 * `client` is the owner role (or a superuser), on the database the service uses.
 */
export async function installContextKeys(client, keys, opts = {}) {
    const out = { added: [], kept: [], removed: [] };
    await client.query('BEGIN');
    try {
        for (const k of keys) {
            const r = await client.query(`SELECT secret = $2 AS same FROM tenant_context_keys WHERE key_id = $1`, [k.id, k.secret]);
            if (r.rows[0] && !r.rows[0].same)
                throw new Error(`tenant context key ${k.id} is installed with another secret: give the new secret a new id`);
            if (r.rows[0])
                out.kept.push(k.id);
            else {
                await client.query(`INSERT INTO tenant_context_keys (key_id, secret) VALUES ($1, $2)`, [k.id, k.secret]);
                out.added.push(k.id);
            }
        }
        if (opts.prune) {
            const r = await client.query(`DELETE FROM tenant_context_keys WHERE NOT (key_id = ANY ($1::text[])) RETURNING key_id`, [keys.map((k) => k.id)]);
            out.removed = r.rows.map((x) => x.key_id).sort();
        }
        await client.query('COMMIT');
    }
    catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
    }
    return out;
}
/** installContextKeys on its own connection to `url` (the owner role); `keys` as TENANT_CONTEXT_KEYS writes them. */
export async function installContextKeysAt(url, keys, opts = {}) {
    const client = new pg.Client({ connectionString: url, application_name: 'rocker-context-keys' });
    await client.connect();
    try {
        return await installContextKeys(client, parseContextKeys(keys), opts);
    }
    finally {
        await client.end();
    }
}
/** One line for the operator: key ids, never secrets. */
export function describeInstall(r, prune) {
    return (`tenant context keys: added [${r.added.join(', ')}], kept [${r.kept.join(', ')}]` +
        (prune ? `, removed [${r.removed.join(', ')}]` : ''));
}
/**
 * npm run context-keys [-- --prune] [--database-url <owner url>]: installs TENANT_CONTEXT_KEYS (the
 * environment, else .env) where tenant_begin() verifies them, as DATABASE_OWNER_URL. Prints key ids,
 * never secrets. `npm run migrate` does the same (without --prune) after migrating.
 */
async function main() {
    const args = parseArgs(process.argv.slice(2));
    const dotEnv = existsSync('.env') ? parseEnv(readFileSync('.env', 'utf8')) : {};
    const env = { ...dotEnv, ...process.env };
    const raw = env.TENANT_CONTEXT_KEYS ?? '';
    if (!CONTEXT_KEYS_PATTERN.test(raw))
        throw new Error('TENANT_CONTEXT_KEYS is missing or malformed (see docs/configuration.md)');
    const url = args['database-url'] ?? env.DATABASE_OWNER_URL;
    if (!url)
        throw new Error('DATABASE_OWNER_URL (or --database-url) is required: the keys are written as the owner role');
    const prune = args.prune === 'true';
    console.log(describeInstall(await installContextKeysAt(url, raw, { prune }), prune));
}
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
    main().catch((e) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    });
}
//# sourceMappingURL=context-keys.js.map