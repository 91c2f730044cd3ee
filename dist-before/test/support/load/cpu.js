import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
/** Linux clock ticks per second (USER_HZ; 100 on every mainstream build). */
const HZ = 100;
/** utime + stime of a process in seconds, from /proc/<pid>/stat (0 once it is gone). */
export function cpuSecondsOf(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name (which may hold spaces): utime is field 14, stime 15.
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(f[14 - 3]) + Number(f[15 - 3])) / HZ;
    }
    catch {
        return 0;
    }
}
function commOf(pid) {
    try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    }
    catch {
        return '';
    }
}
/** Every process whose command is `name` (e.g. all postgres processes, backends included). */
function pidsNamed(name) {
    return readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .filter((pid) => commOf(pid) === name);
}
/**
 * Where the CPU goes during a phase: the API and worker processes, the Postgres backends grouped
 * by who opened them (application_name rocker-api*, rocker-worker*), Postgres's own processes and
 * other sessions, Redis and the load generator. A flood that slows the quiet org without the API
 * processes using more CPU is being paid for elsewhere (the database, the workers' queries).
 */
export class CpuAccount {
    constructor(adminUrl, dbName, apiPids, workerPids) {
        this.adminUrl = adminUrl;
        this.dbName = dbName;
        this.apiPids = apiPids;
        this.workerPids = workerPids;
    }
    async snapshot() {
        const groups = new Map();
        for (const pid of this.apiPids)
            groups.set(pid, 'api');
        for (const pid of this.workerPids)
            groups.set(pid, 'workers');
        groups.set(process.pid, 'load generator');
        for (const pid of pidsNamed('redis-server'))
            groups.set(pid, 'redis');
        const backends = new Map();
        const admin = new pg.Client({ connectionString: this.adminUrl, application_name: 'load-cpu-account' });
        try {
            await admin.connect();
            const r = await admin.query(`SELECT pid, coalesce(application_name, '') AS app, datname FROM pg_stat_activity`);
            for (const row of r.rows) {
                if (row.datname !== this.dbName)
                    continue;
                backends.set(row.pid, row.app.startsWith('rocker-api') ? 'pg: api sessions' : row.app.startsWith('rocker-worker') ? 'pg: worker sessions' : 'pg: other');
            }
        }
        catch {
            /* no superuser access: every postgres process counts as "pg: other" */
        }
        finally {
            await admin.end().catch(() => undefined);
        }
        for (const pid of pidsNamed('postgres'))
            groups.set(pid, backends.get(pid) ?? 'pg: other');
        const snap = new Map();
        for (const [pid, group] of groups)
            snap.set(pid, { group, s: cpuSecondsOf(pid) });
        return snap;
    }
    /** CPU seconds per group between two snapshots (a process that appeared in between counts from 0). */
    static between(a, b) {
        const out = {};
        for (const [pid, { group, s }] of b)
            out[group] = (out[group] ?? 0) + Math.max(0, s - (a.get(pid)?.s ?? 0));
        return out;
    }
}
//# sourceMappingURL=cpu.js.map