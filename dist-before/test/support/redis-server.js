import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './net.js';
import { until } from './wait.js';
import { redisTlsArgs } from './tls.js';
/** This test's own redis-server on a free loopback port (never the shared one), stoppable and restartable. */
export class OwnRedis {
    constructor(port, opts) {
        this.port = port;
        this.opts = opts;
    }
    static async start(opts = {}) {
        const r = new OwnRedis(await freePort(), opts);
        await r.start();
        return r;
    }
    /** The URL the service is given: scheme, credentials (the ACL user, else the password) and db 0. */
    get url() {
        const { aclUser, password, tls } = this.opts;
        const auth = aclUser ? `${aclUser.name}:${encodeURIComponent(aclUser.password)}@` : password ? `:${encodeURIComponent(password)}@` : '';
        return `${tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}/0`;
    }
    /** A client as the `default` user (the ACL user may not exist yet). */
    admin() {
        return new Redis({
            port: this.port,
            host: '127.0.0.1',
            password: this.opts.password,
            tls: this.opts.tls ? { ca: this.opts.tls.ca } : undefined,
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
        });
    }
    async start() {
        // Already running: a second server could not bind the port and would replace the running one
        // as this.child, so stop() would leave the running one behind.
        if (this.child && this.child.exitCode === null && this.child.signalCode === null)
            return;
        const net = this.opts.tls ? redisTlsArgs(this.opts.tls, this.port) : ['--port', String(this.port)];
        const auth = this.opts.password ? ['--requirepass', this.opts.password] : [];
        this.child = spawn('redis-server', [...net, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { stdio: 'ignore' });
        await until(async () => {
            const c = this.admin();
            c.on('error', () => undefined);
            try {
                await c.connect();
                if ((await c.ping()) !== 'PONG')
                    return undefined;
                const u = this.opts.aclUser;
                if (u)
                    await c.call('acl', 'setuser', u.name, 'on', `>${u.password}`, '~*', '&*', '+@all');
                return true;
            }
            finally {
                c.disconnect();
            }
        }, 15_000, `redis-server on ${this.port}`, 250);
    }
    /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as when Redis hangs. */
    pause() {
        this.child?.kill('SIGSTOP');
    }
    /** Undoes pause() (SIGCONT). */
    resume() {
        this.child?.kill('SIGCONT');
    }
    async stop() {
        const child = this.child;
        if (!child || child.exitCode !== null)
            return;
        const exited = new Promise((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
    }
}
//# sourceMappingURL=redis-server.js.map