import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './net.js';
import { until } from './wait.js';
import { redisTlsArgs } from './tls.js';
/**
 * This test's own Redis Cluster of local `redis-server` processes on free loopback ports (never the
 * shared Redis), created with `redis-cli --cluster create`. `stop()` kills every node it started
 * and removes its directory; call it in afterAll whatever happened.
 */
export class OwnCluster {
    constructor(opts) {
        this.opts = opts;
        this.nodes = [];
        this.dir = mkdtempSync(join(tmpdir(), 'rocker-cluster-'));
    }
    static async start(options = {}) {
        const c = new OwnCluster({ masters: 3, replicas: 0, nodeTimeoutMs: 1000, ...options });
        try {
            await c.boot();
            return c;
        }
        catch (e) {
            await c.stop();
            throw e;
        }
    }
    /** `host:port,...` of every node, for REDIS_CLUSTER_NODES. */
    get nodesVar() {
        return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    }
    get ports() {
        return this.nodes.map((n) => n.port);
    }
    async boot() {
        const count = this.opts.masters * (1 + this.opts.replicas);
        for (let i = 0; i < count; i++) {
            const port = await freePort();
            const auth = this.opts.password ? ['--requirepass', this.opts.password, '--masterauth', this.opts.password] : [];
            const net = this.opts.tls
                ? [...redisTlsArgs(this.opts.tls, port), '--tls-cluster', 'yes', '--tls-replication', 'yes']
                : ['--port', String(port)];
            const child = spawn('redis-server', [
                ...net, '--bind', '127.0.0.1',
                '--cluster-enabled', 'yes',
                '--cluster-config-file', join(this.dir, `nodes-${port}.conf`),
                '--cluster-node-timeout', String(this.opts.nodeTimeoutMs),
                // A replica always stands for election when its master fails, however long its link was
                // quiet: on a loaded box its last contact can look older than 10 node timeouts, and the
                // failover suite then waited for a promotion that never came.
                '--cluster-replica-validity-factor', '0',
                '--dir', this.dir,
                '--save', '', '--appendonly', 'no',
                ...auth,
            ], { stdio: 'ignore' });
            this.nodes.push({ port, child });
        }
        for (const n of this.nodes)
            await until(() => this.ping(n.port), 15_000, `redis-server on ${n.port}`, 50);
        const acl = this.opts.aclUser;
        if (acl)
            for (const n of this.nodes)
                await this.command(n.port, 'acl', 'setuser', acl.name, 'on', `>${acl.password}`, '~*', '&*', '+@all');
        const create = spawnSync('redis-cli', [
            ...(this.opts.password ? ['-a', this.opts.password, '--no-auth-warning'] : []),
            ...(this.opts.tls ? ['--tls', '--cacert', this.opts.tls.caFile] : []),
            '--cluster', 'create', ...this.nodes.map((n) => `127.0.0.1:${n.port}`),
            '--cluster-replicas', String(this.opts.replicas), '--cluster-yes',
        ], { encoding: 'utf8', timeout: 30_000 });
        if (create.status !== 0)
            throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
        // Every node agrees that all slots are served, and (with replicas) every master has its replica.
        await until(async () => {
            for (const n of this.nodes) {
                const info = await this.command(n.port, 'cluster', 'info');
                if (!/cluster_state:ok/.test(String(info)))
                    return false;
            }
            const masters = await this.masters();
            if (masters.length !== this.opts.masters)
                return false;
            if (this.opts.replicas) {
                const replicas = (await this.topology()).filter((t) => t.role === 'slave' && t.master);
                return replicas.length === this.opts.masters * this.opts.replicas;
            }
            return true;
        }, 30_000, 'the cluster ok on every node', 100);
    }
    async command(port, ...args) {
        const c = new Redis({
            port,
            host: '127.0.0.1',
            password: this.opts.password,
            tls: this.opts.tls ? { ca: this.opts.tls.ca } : undefined,
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
        });
        c.on('error', () => undefined);
        try {
            await c.connect();
            return await c.call(args[0], ...args.slice(1));
        }
        finally {
            c.disconnect();
        }
    }
    async ping(port) {
        return (await this.command(port, 'ping').catch(() => null)) === 'PONG';
    }
    /** Each live node's view of itself: role and, for a replica, its master's port. */
    async topology() {
        const out = [];
        for (const n of this.nodes) {
            if (!this.alive(n))
                continue;
            const lines = String(await this.command(n.port, 'cluster', 'nodes').catch(() => '')).split('\n');
            const me = lines.find((l) => l.includes('myself'));
            if (!me)
                continue;
            const [, , flags, masterId] = me.split(' ');
            const role = flags.includes('master') ? 'master' : 'slave';
            const master = lines.find((l) => l.startsWith(`${masterId} `));
            out.push({ port: n.port, role, master: role === 'slave' && master ? Number(master.split(' ')[1].split(':')[1].split('@')[0]) : undefined });
        }
        return out;
    }
    /** Ports of the live masters. */
    async masters() {
        return (await this.topology()).filter((t) => t.role === 'master').map((t) => t.port);
    }
    /** The port of the master serving `key` (by CLUSTER KEYSLOT and CLUSTER SLOTS of a live node). */
    async masterOf(key) {
        const live = this.nodes.find((n) => this.alive(n));
        const slot = Number(await this.command(live.port, 'cluster', 'keyslot', key));
        const ranges = (await this.command(live.port, 'cluster', 'slots'));
        const r = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!r)
            throw new Error(`no master serves slot ${slot}`);
        return r[2][1];
    }
    /** Kills one node at once (SIGKILL: a crash, no goodbye to the cluster). */
    async kill(port) {
        const n = this.nodes.find((x) => x.port === port);
        if (!n || !this.alive(n))
            return;
        const exited = new Promise((resolve) => n.child.once('exit', () => resolve()));
        n.child.kill('SIGKILL');
        await exited;
    }
    alive(n) {
        return n.child.exitCode === null && n.child.signalCode === null;
    }
    /** Kills every node this helper started and removes their files. */
    async stop() {
        await Promise.all(this.nodes.map((n) => this.kill(n.port)));
        rmSync(this.dir, { recursive: true, force: true });
    }
}
//# sourceMappingURL=redis-cluster.js.map