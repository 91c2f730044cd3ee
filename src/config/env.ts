import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { plainToInstance, Transform } from 'class-transformer';
import {
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

  // Ingest queue (README "Ingest pipeline")
  /** Running jobs per org across every worker process, unless org_limits.job_concurrency says otherwise. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  INGEST_ORG_CONCURRENCY = 4;

  /** Jobs one worker process runs at once, per queue. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  INGEST_WORKER_CONCURRENCY = 8;

  @Transform(toInt) @IsInt() @Min(1) @Max(50)
  INGEST_MAX_ATTEMPTS = 5;

  /** First retry delay; doubles per attempt, with jitter. */
  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  INGEST_BACKOFF_MS = 2000;

  /** BullMQ job lock and per-org slot lease: a killed worker's job and slot free themselves after this. */
  @Transform(toInt) @IsInt() @Min(500) @Max(600_000)
  INGEST_LOCK_MS = 30_000;

  /** Rows in flight per org = its concurrency limit × this (keeps workers fed, keeps the queue fair). */
  @Transform(toInt) @IsInt() @Min(1) @Max(100)
  INGEST_DISPATCH_WINDOW = 2;

  /** Fallback dispatch poll; LISTEN/NOTIFY wakes the dispatcher at once in the normal case. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60_000)
  INGEST_DISPATCH_INTERVAL_MS = 1000;

  /** A queued row dispatched this long ago is checked against Redis and re-sent if Redis lost it. */
  @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000)
  INGEST_RECONCILE_AFTER_MS = 60_000;

  /** Fallback wait of a job that found its org at its limit (delayed, no attempt spent); a released slot wakes it sooner. */
  @Transform(toInt) @IsInt() @Min(5) @Max(60_000)
  INGEST_SLOT_RETRY_MS = 250;
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
  if (problems.length) {
    // Values are never echoed: they may be secrets.
    throw new ConfigError(`Invalid configuration (${problems.length}):\n  - ${problems.join('\n  - ')}`);
  }
  return env;
}

export const ENV = Symbol('ENV');
