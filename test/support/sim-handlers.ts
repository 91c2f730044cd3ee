import { Inject, Injectable } from '@nestjs/common';
import type { TestingModuleBuilder } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { ENV, type Env } from '../../src/config/env.js';
import { TenantDb } from '../../src/tenancy/tenant-context.js';
import { REDIS } from '../../src/redis/redis.module.js';
import {
  JobKind,
  PermanentJobError,
  type IngestHandler,
  type IngestJobContext,
  type JobCommit,
  type JobPayloads,
} from '../../src/modules/ingest/ingest.types.js';
import { JobPayloadParser, type StoredJob } from '../../src/modules/ingest/job-payloads.js';
import { EmbedJobHandler } from '../../src/modules/search/embed.handler.js';
import { OcrJobHandler } from '../../src/modules/intake/ocr/ocr.handler.js';

/**
 * Simulated job handlers for the queue tests and the fairness benchmark, put in the real embed and
 * ocr handlers' places by Nest's testing overrides (withSimHandlers). Each run leaves one row in
 * sim_job_effects in the job's final transaction, so a handler that ran twice to completion would
 * show two rows; starts are counted in Redis, outside any transaction, so a run killed mid-way is
 * visible too.
 */
export const SIM_TABLE_SQL = [
  `CREATE TABLE IF NOT EXISTS sim_job_effects (
     org_id uuid NOT NULL, job_id uuid NOT NULL, kind text NOT NULL, attempt int NOT NULL,
     at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  `GRANT SELECT, INSERT ON sim_job_effects TO rocker_app`,
];

export interface SimPayload {
  work_ms?: number;
  /** Attempts up to this number fail (retry path). */
  fail_attempts?: number;
  /** Attempts up to this number hang (a worker to kill mid-job). */
  hang_attempts?: number;
  permanent?: boolean;
  /**
   * Fails while the Redis key simFailKey(<this name>) exists (a failure the test can switch off).
   * A name, not the job id: the test sets the key before the row exists, or the job may have run.
   */
  fail_flag?: string;
  /** Works until the Redis key simReleaseKey(jobId) exists (a job the test holds mid-work, then lets go). */
  hold_flag?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const simStartsKey = (env: Env, jobId: string) => `${env.REDIS_PREFIX}:sim:starts:${jobId}`;
export const simFailKey = (env: Env, name: string) => `${env.REDIS_PREFIX}:sim:fail:${name}`;
export const simReleaseKey = (env: Env, jobId: string) => `${env.REDIS_PREFIX}:sim:release:${jobId}`;
/** When the held job's work began (epoch ms), set once it is holding. */
export const simHeldSinceKey = (env: Env, jobId: string) => `${env.REDIS_PREFIX}:sim:held-since:${jobId}`;

/** The work happens outside any transaction (as in the real handlers); the effect row is the write step. */
@Injectable()
abstract class SimHandler {
  abstract readonly kind: JobKind;
  constructor(
    private readonly db: TenantDb,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async handle(job: IngestJobContext): Promise<JobCommit> {
    const p = job.payload as unknown as SimPayload;
    await this.redis.incr(simStartsKey(this.env, job.jobId));
    if (p.hang_attempts && job.attempt <= p.hang_attempts) await sleep(10 * 60_000);
    if (p.work_ms) await sleep(p.work_ms);
    if (p.hold_flag) {
      await this.redis.set(simHeldSinceKey(this.env, job.jobId), String(Date.now()));
      while (!(await this.redis.exists(simReleaseKey(this.env, job.jobId)))) await sleep(20);
    }
    if (p.permanent) throw new PermanentJobError('simulated permanent failure');
    if (p.fail_attempts && job.attempt <= p.fail_attempts)
      throw new Error(`simulated failure on attempt ${job.attempt}`);
    if (p.fail_flag && (await this.redis.exists(simFailKey(this.env, p.fail_flag))))
      throw new Error('simulated failure (flag set)');
    return async () => {
      await this.db.query(
        `INSERT INTO sim_job_effects (org_id, job_id, kind, attempt) VALUES ($1, $2, $3, $4)`,
        [job.orgId, job.jobId, job.kind, job.attempt],
      );
    };
  }
}

@Injectable()
class SimEmbedHandler extends SimHandler implements IngestHandler {
  readonly kind = JobKind.Embed;
}

@Injectable()
class SimOcrHandler extends SimHandler implements IngestHandler {
  readonly kind = JobKind.Ocr;
}

/** Simulated embed and ocr jobs carry a SimPayload, not the real kinds' payloads; crawl keeps its real check. */
@Injectable()
class SimPayloadParser extends JobPayloadParser {
  override parse<K extends JobKind>(kind: K, row: StoredJob): JobPayloads[K] {
    if (kind === JobKind.Crawl) return super.parse(kind, row);
    return row.payload as JobPayloads[K];
  }
}

/**
 * The simulated handlers in the real embed and ocr handlers' places, and their payload check
 * (Nest's provider overrides; the pipeline finds a handler by its provider token). Crawl keeps its
 * real handler and payload check.
 */
export const withSimHandlers = (b: TestingModuleBuilder): TestingModuleBuilder =>
  b
    .overrideProvider(EmbedJobHandler)
    .useClass(SimEmbedHandler)
    .overrideProvider(OcrJobHandler)
    .useClass(SimOcrHandler)
    .overrideProvider(JobPayloadParser)
    .useClass(SimPayloadParser);
