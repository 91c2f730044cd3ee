import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { ConfigError, loadEnv } from '../config/env.js';
import { slicesOf } from '../config/slices.js';
import { clusterNodesOf, clusterOptionsFor, RedisFactory, redisOptionsFor } from './redis.factory.js';

const base = {
  DATABASE_URL: 'postgres://x@h/db',
  DATABASE_WORKER_URL: 'postgres://x@h/db',
  TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
  JWT_SECRET: 'x'.repeat(40),
  METRICS_TOKEN: 'y'.repeat(20),
};
const slices = (vars: Record<string, string>) => slicesOf(loadEnv({ ...base, ...vars }, '/nonexistent'));

describe(RedisFactory.name, () => {
  it('one server: host, port, db, ACL user and password from REDIS_URL (percent-decoded); redis:// is plain TCP', () => {
    const { redis } = slices({ REDIS_URL: 'redis://app%2Buser:p%40ss@redis.local:6380/2' });
    expect(redisOptionsFor(redis, 'n', 'command')).toMatchObject({
      host: 'redis.local', port: 6380, db: 2, username: 'app+user', password: 'p@ss', tls: undefined, connectionName: 'n',
    });
  });

  it('rediss:// is TLS, with the CA of REDIS_TLS_CA_FILE when given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rocker-ca-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
    expect(redisOptionsFor(slices({ REDIS_URL: 'rediss://:pw@r:6379' }).redis, 'n', 'command').tls).toEqual({});
    const tls = redisOptionsFor(slices({ REDIS_URL: 'rediss://:pw@r:6379', REDIS_TLS_CA_FILE: join(dir, 'ca.pem') }).redis, 'n', 'command').tls;
    expect(String(tls?.ca)).toBe('PEM');
  });

  it('commands and producers fail fast while Redis is down; the workers\' template blocks and retries forever, never connecting itself', () => {
    const { redis } = slices({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(redisOptionsFor(redis, 'n', 'command')).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    expect(redisOptionsFor(redis, 'n', 'blocking')).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true });
    expect(redisOptionsFor(redis, 'n', 'queue')).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: 1 });
  });

  it('a cluster: seed nodes from REDIS_CLUSTER_NODES; every node gets REDIS_URL\'s credentials and TLS, never its host or db', () => {
    const { redis } = slices({ REDIS_URL: 'rediss://rocker:s3cret@ignored:1/0', REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b.internal:7001' });
    expect(clusterNodesOf(redis)).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
    ]);
    const o = clusterOptionsFor(redis, 'n', 'blocking');
    expect(o.redisOptions).toMatchObject({ username: 'rocker', password: 's3cret', tls: {}, maxRetriesPerRequest: null });
    expect(o.redisOptions).not.toHaveProperty('host');
    expect(o.redisOptions).not.toHaveProperty('db');
    expect(o).toMatchObject({ lazyConnect: true, enableOfflineQueue: true, scaleReads: 'master' });
    expect(clusterOptionsFor(redis, 'n', 'command')).toMatchObject({ lazyConnect: false, enableOfflineQueue: false });
  });

  it('makes a Cluster client exactly when REDIS_CLUSTER_NODES is set', () => {
    const make = (vars: Record<string, string>) => {
      const s = slices(vars);
      const c = new RedisFactory(s.redis, s.process).create('spec', 'blocking'); // lazy: connects nowhere
      c.disconnect();
      return c;
    };
    expect(make({ REDIS_URL: 'redis://127.0.0.1:1' })).toBeInstanceOf(Redis);
    expect(make({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER_NODES: '127.0.0.1:2' })).toBeInstanceOf(Cluster);
  });

  it('refuses a cluster with a database other than 0, malformed nodes and a missing CA file, naming each', () => {
    const bad = () =>
      loadEnv({ ...base, REDIS_URL: 'redis://h:6379/3', REDIS_CLUSTER_NODES: 'a:1,b', REDIS_TLS_CA_FILE: '/nonexistent/ca.pem' }, '/nonexistent');
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/REDIS_CLUSTER_NODES: .*host:port/);
    expect(bad).toThrow(/REDIS_URL: a Redis Cluster has database 0 only/);
    expect(bad).toThrow(/REDIS_TLS_CA_FILE: no such file/);
    expect(() => loadEnv({ ...base, REDIS_URL: 'redis://h:6379/0', REDIS_CLUSTER_NODES: 'a:1' }, '/nonexistent')).not.toThrow();
    expect(() => loadEnv({ ...base, REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: 'a:1' }, '/nonexistent')).not.toThrow();
  });
});
