var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import { ProcessConfig, RedisConfig } from '../config/slices.js';
/** Host and port of each seed node of REDIS_CLUSTER_NODES; empty for one server. */
export function clusterNodesOf(config) {
    if (!config.clusterNodes)
        return [];
    return config.clusterNodes.split(',').map((hp) => {
        const i = hp.lastIndexOf(':');
        return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
    });
}
/** The credentials and TLS settings of REDIS_URL (the same on every node of a cluster). Never logged. */
export function authOf(config) {
    const u = new URL(config.url);
    let tls;
    if (u.protocol === 'rediss:') {
        tls = config.tlsCaFile ? { ca: readFileSync(config.tlsCaFile) } : {};
    }
    return {
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
        tls,
    };
}
/** ioredis options of one server connection (a cluster's node connections get these too, less host, port and db). */
export function redisOptionsFor(config, name, use) {
    const u = new URL(config.url);
    return {
        host: u.hostname,
        port: Number(u.port || 6379),
        db: Number(u.pathname.slice(1) || 0),
        ...authOf(config),
        connectionName: name,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(200 * times, 2000),
        // BullMQ requires null on a blocking connection; elsewhere a command fails after one reconnect.
        maxRetriesPerRequest: use === 'blocking' ? null : 1,
        enableOfflineQueue: use !== 'command',
        // A worker's connection is connected by BullMQ when the worker starts.
        lazyConnect: use === 'blocking',
    };
}
/** ioredis Cluster options: topology refreshed often, so a failover is noticed within about a second. */
export function clusterOptionsFor(config, name, use) {
    const { host: _h, port: _p, db: _d, lazyConnect, enableOfflineQueue, retryStrategy: _r, ...node } = redisOptionsFor(config, name, use);
    return {
        redisOptions: node,
        lazyConnect,
        enableOfflineQueue,
        scaleReads: 'master',
        slotsRefreshTimeout: 2000,
        slotsRefreshInterval: 1000,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        clusterRetryStrategy: (times) => Math.min(200 * times, 2000),
        // Names in CLUSTER SLOTS are used as given (TLS checks the certificate against them).
        dnsLookup: (address, callback) => callback(null, address),
    };
}
/**
 * The one place a Redis connection is made: a Redis Cluster client when REDIS_CLUSTER_NODES is set,
 * else one server (REDIS_URL); `rediss://`, ACL user and password either way.
 */
let RedisFactory = class RedisFactory {
    constructor(config, processConfig) {
        this.config = config;
        this.processConfig = processConfig;
    }
    get cluster() {
        return !!this.config.clusterNodes;
    }
    /** A new connection named `rocker-<role>-<what>`; the caller disconnects it. Errors are swallowed here: health and metrics report Redis. */
    create(what, use = 'command') {
        const name = `rocker-${this.processConfig.role}-${what}`;
        const client = this.cluster
            ? new Cluster(clusterNodesOf(this.config), clusterOptionsFor(this.config, name, use))
            : new Redis(redisOptionsFor(this.config, name, use));
        client.on('error', () => undefined);
        return client;
    }
    /**
     * A connection for SUBSCRIBE. One server: reconnects forever. Cluster: plain PUBLISH reaches every
     * node, so it subscribes on one node (picked from `seen`, else a seed) and ends when that node goes;
     * the caller then asks for another (so it knows messages may have been missed meanwhile).
     */
    subscriber(what, seen) {
        const name = `rocker-${this.processConfig.role}-${what}`;
        if (!this.cluster)
            return new Redis(redisOptionsFor(this.config, name, 'command'));
        const known = seen instanceof Cluster ? seen.nodes('all').map((n) => ({ host: n.options.host, port: n.options.port })) : [];
        const pool = known.length ? known : clusterNodesOf(this.config);
        const node = pool[Math.floor(Math.random() * pool.length)];
        return new Redis({ ...redisOptionsFor(this.config, name, 'command'), ...node, db: 0, retryStrategy: () => null });
    }
};
RedisFactory = __decorate([
    Injectable(),
    __param(0, Inject(RedisConfig)),
    __param(1, Inject(ProcessConfig)),
    __metadata("design:paramtypes", [RedisConfig,
        ProcessConfig])
], RedisFactory);
export { RedisFactory };
//# sourceMappingURL=redis.factory.js.map