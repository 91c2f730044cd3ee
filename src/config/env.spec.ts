import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv, trustedProxies } from './env.js';

const good = {
  DATABASE_URL: 'postgres://a@b/c',
  DATABASE_WORKER_URL: 'postgres://w@b/c',
  TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_SECRET: 'x'.repeat(32),
  METRICS_TOKEN: 'm'.repeat(16),
};

describe(loadEnv.name, () => {
  it('accepts a complete environment and applies defaults', () => {
    const sut = loadEnv(good, '/nonexistent');
    expect(sut.PORT).toBe(3000);
    expect(sut.DATABASE_POOL_SIZE).toBe(10);
    expect(sut.REDIS_PREFIX).toBe('rocker');
  });

  it('takes the ingest watchdog off (0) or above BullMQ drain delay, never in between', () => {
    expect(loadEnv(good, '/nonexistent').INGEST_WATCHDOG_MS).toBe(30_000);
    expect(loadEnv({ ...good, INGEST_WATCHDOG_MS: '0' }, '/nonexistent').INGEST_WATCHDOG_MS).toBe(0);
    expect(loadEnv({ ...good, INGEST_WATCHDOG_MS: '6000' }, '/nonexistent').INGEST_WATCHDOG_MS).toBe(6000);
    expect(() => loadEnv({ ...good, INGEST_WATCHDOG_MS: '2000' }, '/nonexistent')).toThrow(/INGEST_WATCHDOG_MS: 0 \(off\) or at least 6000/);
  });

  it('takes the admission slowdown off (0) or as a factor of at least 1', () => {
    expect(loadEnv(good, '/nonexistent').ADMISSION_MAX_SLOWDOWN).toBe(2);
    expect(loadEnv({ ...good, ADMISSION_MAX_SLOWDOWN: '1.5' }, '/nonexistent').ADMISSION_MAX_SLOWDOWN).toBe(1.5);
    expect(() => loadEnv({ ...good, ADMISSION_MAX_SLOWDOWN: '0.5' }, '/nonexistent')).toThrow(/ADMISSION_MAX_SLOWDOWN: 0 \(off\) or at least 1/);
  });

  it('takes HTTP_TRUST_PROXY as addresses, CIDRs and proxy-addr names only', () => {
    expect(loadEnv(good, '/nonexistent').HTTP_TRUST_PROXY).toBeUndefined();
    expect(() => loadEnv({ ...good, HTTP_TRUST_PROXY: '' }, '/nonexistent')).not.toThrow(); // empty: none trusted
    expect(trustedProxies('10.0.0.0/8, 192.168.1.7,fd00::/8,loopback')).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', 'loopback']);
    for (const bad of [' , ', 'true', '*', '10.0.0.0/33', '::1/129', 'proxy.internal', '10.0.0.1/8/1', '10.0.0.0/x'])
      expect(() => loadEnv({ ...good, HTTP_TRUST_PROXY: bad }, '/nonexistent'), bad).toThrow(/HTTP_TRUST_PROXY: a comma list/);
  });

  it('requires the worker role URL where workers run, not in an API-only process', () => {
    const { DATABASE_WORKER_URL: _, ...rest } = good;
    expect(() => loadEnv(rest, '/nonexistent')).toThrow(/DATABASE_WORKER_URL: required when ROCKER_ROLE runs workers/);
    expect(() => loadEnv({ ...rest, ROCKER_ROLE: 'worker' }, '/nonexistent')).toThrow(/DATABASE_WORKER_URL/);
    expect(loadEnv({ ...rest, ROCKER_ROLE: 'api' }, '/nonexistent').DATABASE_WORKER_URL).toBeUndefined();
  });

  it('requires tenant-context keys of 32+ bytes with distinct ids, naming the variable, never the secret', () => {
    const short = `k1:${'B'.repeat(20)}`;
    for (const bad of [undefined, '', short, `k1:${'A'.repeat(43)},k1:${'C'.repeat(43)}`, `bad id:${'A'.repeat(43)}`]) {
      let msg = '';
      try {
        loadEnv({ ...good, TENANT_CONTEXT_KEYS: bad }, '/nonexistent');
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, String(bad)).toContain('TENANT_CONTEXT_KEYS');
      expect(msg).not.toContain('BBBB');
      expect(msg).not.toContain('CCCC');
    }
    expect(loadEnv({ ...good, TENANT_CONTEXT_KEYS: `k2:${'A'.repeat(43)}=,k1:${'a_-'.repeat(15)}` }, '/nonexistent').TENANT_CONTEXT_TTL_MS).toBe(60_000);
  });

  it('names every bad variable in one message, without echoing values', () => {
    let err: unknown;
    try {
      loadEnv({ DATABASE_URL: 'mysql://secret-value@x', REDIS_URL: '', PORT: '99999', JWT_SECRET: 'short', METRICS_TOKEN: 'm'.repeat(16) }, '/nonexistent');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'JWT_SECRET']) expect(msg).toContain(v);
    expect(msg).not.toContain('secret-value');
    expect(msg).not.toContain('METRICS_TOKEN');
  });

  it('requires a way to verify tokens', () => {
    const { JWT_SECRET: _omit, ...rest } = good;
    expect(() => loadEnv({ ...rest, JWT_SECRET: undefined }, '/nonexistent')).toThrow(/JWT_SECRET \| JWT_PUBLIC_KEY/);
  });

  it('refuses an HS256 secret in production', () => {
    expect(() => loadEnv({ ...good, NODE_ENV: 'production' }, '/nonexistent')).toThrow(/production needs JWT_PUBLIC_KEY/);
  });
});

describe('embedding settings', () => {
  it('default to the local 512-d model', () => {
    const sut = loadEnv(good, '/nonexistent');
    expect(sut.EMBEDDINGS_PROVIDER).toBe('local');
    expect(sut.EMBEDDINGS_DIM).toBe(512);
  });

  it('an OpenAI-compatible provider needs a base URL and a model', () => {
    expect(() => loadEnv({ ...good, EMBEDDINGS_PROVIDER: 'openai' }, '/nonexistent')).toThrow(/EMBEDDINGS_BASE_URL[\s\S]*EMBEDDINGS_MODEL/);
    const sut = loadEnv(
      { ...good, EMBEDDINGS_PROVIDER: 'openai', EMBEDDINGS_BASE_URL: 'http://127.0.0.1:11434/v1', EMBEDDINGS_MODEL: 'nomic-embed-text', EMBEDDINGS_DIM: '768' },
      '/nonexistent',
    );
    expect(sut.EMBEDDINGS_DIM).toBe(768);
  });

  it('refuses another dimension for the local model and an unknown provider', () => {
    expect(() => loadEnv({ ...good, EMBEDDINGS_DIM: '768' }, '/nonexistent')).toThrow(/EMBEDDINGS_DIM/);
    expect(() => loadEnv({ ...good, EMBEDDINGS_PROVIDER: 'magic' }, '/nonexistent')).toThrow(/EMBEDDINGS_PROVIDER/);
  });
});
