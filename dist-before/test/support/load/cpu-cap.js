import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
/** The cgroup v1 cpu hierarchy (this machine); cgroup v2 is handled through cpu.max below. */
const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';
/** A short period keeps each throttled stretch short (a capped worker holding a lock waits less). */
const PERIOD_US = 20_000;
/** LOAD_WORKER_CPUS: unset or `none` = no limit (the default); else cores for the workers together. */
export function parseWorkerCpus(v) {
    if (v === undefined || v === '' || v === 'none' || v === '0')
        return null;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > 64)
        throw new Error(`LOAD_WORKER_CPUS must be a number of cores (e.g. 0.5) or none, not ${v}`);
    return n;
}
export function capCpu(name, cpus, pids) {
    const quota = Math.max(1000, Math.round(cpus * PERIOD_US));
    const fail = (reason) => ({ cpus, path: null, reason, throttled: () => ({ periods: 0, seconds: 0 }), remove: () => undefined });
    let path;
    let v2 = false;
    try {
        if (existsSync(join(V1, 'cpu.cfs_quota_us'))) {
            path = join(V1, name);
            mkdirSync(path, { recursive: true });
            writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
            writeFileSync(join(path, 'cpu.cfs_quota_us'), String(quota));
        }
        else if (existsSync(join(V2, 'cgroup.controllers'))) {
            v2 = true;
            path = join(V2, name);
            mkdirSync(path, { recursive: true });
            writeFileSync(join(path, 'cpu.max'), `${quota} ${PERIOD_US}`);
        }
        else {
            return fail('no cgroup cpu controller');
        }
        // cgroup.procs moves every thread of the process; children spawned later inherit the group.
        for (const pid of pids)
            writeFileSync(join(path, 'cgroup.procs'), String(pid));
    }
    catch (e) {
        return fail(`cannot set a cgroup CPU limit (${e.code ?? e.message}); run as root`);
    }
    return {
        cpus,
        path,
        reason: null,
        throttled() {
            try {
                const stat = Object.fromEntries(readFileSync(join(path, 'cpu.stat'), 'utf8')
                    .trim()
                    .split('\n')
                    .map((l) => l.split(' ')));
                // v1: throttled_time in ns; v2: throttled_usec.
                const seconds = v2 ? Number(stat.throttled_usec ?? 0) / 1e6 : Number(stat.throttled_time ?? 0) / 1e9;
                return { periods: Number(stat.nr_throttled ?? 0), seconds };
            }
            catch {
                return { periods: 0, seconds: 0 };
            }
        },
        remove() {
            try {
                // Anything still inside goes back to the root group first (rmdir needs an empty group).
                const root = v2 ? V2 : V1;
                for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
                    writeFileSync(join(root, 'cgroup.procs'), pid);
                }
                rmdirSync(path);
            }
            catch {
                /* already gone */
            }
        },
    };
}
//# sourceMappingURL=cpu-cap.js.map