import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/** Every variable the service reads. Validated once at boot; a bad value stops the process. */
export class EnvDto {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  WORKER_PORT = 3001;

  @IsIn(['all', 'api', 'worker'])
  ROCKER_ROLE: 'all' | 'api' | 'worker' = 'all';

  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL: string;

  @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_OWNER_URL must be a postgres:// URL' })
  DATABASE_OWNER_URL?: string;

  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL: string;

  /** Prefix of every Redis key this deployment writes (queues, limits, caches). */
  @IsString() @Matches(/^[a-z0-9_-]{1,32}$/)
  REDIS_PREFIX = 'rocker';

  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional() @IsString()
  JWT_PUBLIC_KEY?: string;

  @IsOptional() @IsUrl({ require_tld: false })
  JWT_JWKS_URL?: string;

  @IsString() @MinLength(1)
  JWT_ISSUER = 'rocker-dev';

  @IsString() @MinLength(1)
  JWT_AUDIENCE = 'rocker-api';

  @IsString() @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toInt) @IsInt() @Min(1024) @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Kill switch (benchmarks, emergencies): false lets every request through, unmetered. */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : value === true || value === 'true' || value === '1'))
  @IsBoolean()
  RATE_LIMIT_ENABLED = true;

  /** Per-policy defaults over the built-in ones, JSON like the admin body: {"tts":{"limit":600,"window_s":60}}. */
  @IsOptional() @IsString()
  RATE_LIMIT_DEFAULTS?: string;

  /** Policies in dry-run mode by default (comma list): counted, logged, never blocked. */
  @IsOptional() @Matches(/^([a-z]+)(,[a-z]+)*$/, { message: 'RATE_LIMIT_DRY_RUN must be a comma list of policy names' })
  RATE_LIMIT_DRY_RUN?: string;

  /** API instances sharing the limits: while Redis is unreachable each allows limit / this. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  RATE_LIMIT_INSTANCES = 1;

  /** A limiter decision slower than this counts as Redis unreachable (fallback). */
  @Transform(toInt) @IsInt() @Min(10) @Max(10_000)
  RATE_LIMIT_REDIS_TIMEOUT_MS = 250;

  /** How long an instance trusts its cached per-org limits (changes are also pushed by pub/sub). */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  LIMITS_CACHE_MS = 5000;

  /** How often metered usage moves from Redis to Postgres (usage_daily). */
  @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000)
  USAGE_FLUSH_MS = 10_000;

  @IsIn(['espeak', 'openai'])
  TTS_PROVIDER: 'espeak' | 'openai' = 'espeak';

  @IsString() @MinLength(1)
  ESPEAK_BIN = 'espeak-ng';

  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  TTS_BASE_URL?: string;

  @IsOptional() @IsString()
  TTS_API_KEY?: string;

  @IsString() @MinLength(1)
  TTS_MODEL = 'tts-1';

  /** Longest text one POST /v1/tts accepts (characters); longer → 413. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  TTS_MAX_CHARS = 5000;
}

export type Env = EnvDto;

/** Reads `.env` (if present) under the real environment, which always wins. */
function readDotEnv(path = '.env'): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

export class ConfigError extends Error {}

export function loadEnv(overrides: Record<string, string | undefined> = {}, dotEnvPath = '.env'): Env {
  const raw: Record<string, unknown> = { ...readDotEnv(dotEnvPath), ...process.env, ...overrides };
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  const env = plainToInstance(EnvDto, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, skipMissingProperties: false });
  const problems = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    problems.push('JWT_SECRET | JWT_PUBLIC_KEY | JWT_JWKS_URL: one of them must be set');
  }
  if (env.NODE_ENV === 'production' && env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    problems.push('JWT_SECRET: HS256 secrets are for development; production needs JWT_PUBLIC_KEY or JWT_JWKS_URL');
  }
  if (env.TTS_PROVIDER === 'openai' && !env.TTS_BASE_URL) problems.push('TTS_BASE_URL: required when TTS_PROVIDER=openai');
  if (env.RATE_LIMIT_DEFAULTS) {
    try {
      const v = JSON.parse(env.RATE_LIMIT_DEFAULTS);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error();
    } catch {
      problems.push('RATE_LIMIT_DEFAULTS: must be a JSON object');
    }
  }
  if (problems.length) {
    // Values are never echoed: they may be secrets.
    throw new ConfigError(`Invalid configuration (${problems.length}):\n  - ${problems.join('\n  - ')}`);
  }
  return env;
}

export const ENV = Symbol('ENV');
