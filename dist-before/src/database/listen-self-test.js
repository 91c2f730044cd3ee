import { randomBytes } from 'node:crypto';
import pg from 'pg';
export class ListenSelfTestError extends Error {
}
/**
 * LISTEN on a fresh channel over the listen URL, NOTIFY it from the app pool, and expect the
 * notification within `timeoutMs`. Behind a transaction pooler (PgBouncer, pool_mode=transaction)
 * the LISTEN lands on a server connection that goes back to the pool at once, so nothing arrives:
 * the cache invalidation and the dispatcher's wake-ups would be lost without an error. Boot stops
 * here instead.
 */
export async function listenSelfTest(opts) {
    // Counted from the NOTIFY's commit; delivery takes milliseconds, the margin is for a loaded machine.
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const channel = `rocker_selftest_${randomBytes(6).toString('hex')}`;
    const payload = randomBytes(8).toString('hex');
    const client = new pg.Client({ connectionString: opts.listenUrl, application_name: 'rocker-listen-selftest' });
    client.on('error', () => undefined);
    const name = opts.name ?? 'DATABASE_URL';
    const where = opts.direct
        ? `DATABASE_DIRECT_URL${name === 'DATABASE_WORKER_URL' ? ' (as the worker role)' : ''}`
        : `${name} (DATABASE_DIRECT_URL is unset)`;
    try {
        await client.connect();
        let timer;
        let arrived;
        const delivered = new Promise((resolve) => (arrived = resolve));
        client.on('notification', (n) => {
            if (n.channel === channel && n.payload === payload)
                arrived();
        });
        // The channel is generated above (hex only), quoted anyway; LISTEN takes no parameter.
        await client.query('LISTEN ' + client.escapeIdentifier(channel));
        await opts.notifier.query('SELECT pg_notify($1, $2)', [channel, payload]);
        const late = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new ListenSelfTestError(`LISTEN/NOTIFY self-test failed: a NOTIFY did not reach a LISTEN on ${where} within ${timeoutMs} ms. ` +
                (opts.direct
                    ? 'DATABASE_DIRECT_URL must be a direct Postgres connection (not a pooler).'
                    : `${name} looks like a transaction pooler (e.g. PgBouncer with pool_mode=transaction), where LISTEN does not survive; ` +
                        'set DATABASE_DIRECT_URL to a direct Postgres connection for LISTEN and the other session work (docs/scaling.md, "Behind PgBouncer").'))), timeoutMs);
        });
        try {
            await Promise.race([delivered, late]);
        }
        finally {
            clearTimeout(timer);
        }
    }
    finally {
        await client.end().catch(() => undefined);
    }
}
//# sourceMappingURL=listen-self-test.js.map