import { readFileSync } from 'node:fs';
import pg from 'pg';
/** Strips the psql meta-commands (`\set ...`), which only psql understands. */
export function sqlOf(file) {
    return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !l.trimStart().startsWith('\\'))
        .join('\n');
}
/** "<where>: <problem> -- fix: <how>" (the WARNING format of the SQL audits). */
export function parseWarning(audit, message) {
    const m = /^(.+?): ([\s\S]*?) -- fix: ([\s\S]*)$/.exec(message);
    return m
        ? { audit, where: m[1], problem: m[2], fix: m[3] }
        : { audit, where: 'database', problem: message, fix: 'see the message' };
}
/** A connection string without its password, for messages. */
export function redactUrl(url) {
    try {
        const u = new URL(url);
        if (u.password)
            u.password = '***';
        return u.toString();
    }
    catch {
        return '(unparsable database URL)';
    }
}
/**
 * Runs one of the SQL audit files (the same file `psql -f` runs) on a database and turns its
 * WARNING lines into findings. An error other than the file's own "audit failed" exception is a
 * finding too: an audit that could not run has not passed.
 */
export async function runSqlAudit(audit, file, url, settings = {}) {
    const findings = [];
    const notes = [];
    const client = new pg.Client({ connectionString: url, application_name: `rocker-audit-${audit}` });
    client.on('notice', (msg) => {
        if (msg.severity === 'WARNING')
            findings.push(parseWarning(audit, msg.message ?? ''));
        else if (msg.message)
            notes.push(msg.message);
    });
    client.on('error', () => undefined);
    try {
        await client.connect();
        for (const [k, v] of Object.entries(settings))
            await client.query('SELECT set_config($1, $2, false)', [k, v]);
        await client.query(sqlOf(file));
    }
    catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!/audit failed|check failed/.test(message) || findings.length === 0) {
            findings.push({
                audit,
                where: redactUrl(url),
                problem: `the ${audit} audit could not run: ${message}`,
                fix: audit === 'backfill'
                    ? 'give PG_ADMIN_URL (a superuser or BYPASSRLS role) and DATABASE_URL a reachable database'
                    : 'give DATABASE_URL a reachable, migrated database',
            });
        }
    }
    finally {
        await client.end().catch(() => undefined);
    }
    return { findings, notes };
}
//# sourceMappingURL=sql-audit.js.map