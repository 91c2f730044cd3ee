import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from './env.js';

const good = {
  DATABASE_URL: 'postgres://a@b/c', DATABASE_WORKER_URL: 'postgres://a@b/c', TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
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
