import { Logger } from '@nestjs/common';
import pg from 'pg';
import { ALL } from './invalidated-cache.js';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/**
 * Postgres LISTEN/NOTIFY transport: the database notifies on commit (a trigger), so a change made
 * by any writer, plain SQL included, reaches every instance. Publishing is the trigger's job.
 */
export class PgInvalidation {
    constructor(opts) {
        this.opts = opts;
        this.log = new Logger(PgInvalidation.name);
        if (!IDENTIFIER.test(opts.channel))
            throw new Error(`invalid LISTEN channel: ${opts.channel}`);
    }
    subscribe(sink) {
        let closed = false;
        let current;
        let retry;
        const listen = async () => {
            if (closed)
                return;
            const client = new pg.Client({
                connectionString: this.opts.connectionString,
                application_name: this.opts.applicationName,
            });
            const down = () => {
                if (current !== client)
                    return;
                current = undefined;
                sink.disconnected();
                client.end().catch(() => undefined);
                if (!closed)
                    retry = setTimeout(() => void listen(), this.opts.retryMs ?? 1000);
            };
            client.on('error', down);
            client.on('end', down);
            client.on('notification', (n) => sink.invalidate(n.payload ? n.payload : ALL));
            current = client;
            try {
                await client.connect();
                // LISTEN takes no parameter: the channel is an identifier checked at construction, and quoted.
                await client.query('LISTEN ' + client.escapeIdentifier(this.opts.channel));
                if (current === client)
                    sink.connected();
            }
            catch (e) {
                if (!closed)
                    this.log.warn(`LISTEN ${this.opts.channel} failed, cache bypassed: ${e.message}`);
                down();
            }
        };
        void listen();
        return async () => {
            closed = true;
            clearTimeout(retry);
            const client = current;
            current = undefined;
            sink.disconnected();
            await client?.end().catch(() => undefined);
        };
    }
}
//# sourceMappingURL=pg-invalidation.js.map