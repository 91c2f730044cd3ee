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
import { Inject, Injectable } from '@nestjs/common';
import { ENV } from '../../src/config/env.js';
import { TenantDb } from '../../src/tenancy/tenant-context.js';
import { REDIS } from '../../src/redis/redis.module.js';
import { JobKind, PermanentJobError, } from '../../src/modules/ingest/ingest.types.js';
import { JobPayloadParser } from '../../src/modules/ingest/job-payloads.js';
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
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const simStartsKey = (env, jobId) => `${env.REDIS_PREFIX}:sim:starts:${jobId}`;
export const simFailKey = (env, name) => `${env.REDIS_PREFIX}:sim:fail:${name}`;
export const simReleaseKey = (env, jobId) => `${env.REDIS_PREFIX}:sim:release:${jobId}`;
/** When the held job's work began (epoch ms), set once it is holding. */
export const simHeldSinceKey = (env, jobId) => `${env.REDIS_PREFIX}:sim:held-since:${jobId}`;
/** The work happens outside any transaction (as in the real handlers); the effect row is the write step. */
let SimHandler = class SimHandler {
    constructor(db, redis, env) {
        this.db = db;
        this.redis = redis;
        this.env = env;
    }
    async handle(job) {
        const p = job.payload;
        await this.redis.incr(simStartsKey(this.env, job.jobId));
        if (p.hang_attempts && job.attempt <= p.hang_attempts)
            await sleep(10 * 60_000);
        if (p.work_ms)
            await sleep(p.work_ms);
        if (p.hold_flag) {
            await this.redis.set(simHeldSinceKey(this.env, job.jobId), String(Date.now()));
            while (!(await this.redis.exists(simReleaseKey(this.env, job.jobId))))
                await sleep(20);
        }
        if (p.permanent)
            throw new PermanentJobError('simulated permanent failure');
        if (p.fail_attempts && job.attempt <= p.fail_attempts)
            throw new Error(`simulated failure on attempt ${job.attempt}`);
        if (p.fail_flag && (await this.redis.exists(simFailKey(this.env, p.fail_flag))))
            throw new Error('simulated failure (flag set)');
        return async () => {
            await this.db.query(`INSERT INTO sim_job_effects (org_id, job_id, kind, attempt) VALUES ($1, $2, $3, $4)`, [job.orgId, job.jobId, job.kind, job.attempt]);
        };
    }
};
SimHandler = __decorate([
    Injectable(),
    __param(1, Inject(REDIS)),
    __param(2, Inject(ENV)),
    __metadata("design:paramtypes", [TenantDb, Function, Object])
], SimHandler);
let SimEmbedHandler = class SimEmbedHandler extends SimHandler {
    constructor() {
        super(...arguments);
        this.kind = JobKind.Embed;
    }
};
SimEmbedHandler = __decorate([
    Injectable()
], SimEmbedHandler);
let SimOcrHandler = class SimOcrHandler extends SimHandler {
    constructor() {
        super(...arguments);
        this.kind = JobKind.Ocr;
    }
};
SimOcrHandler = __decorate([
    Injectable()
], SimOcrHandler);
/** Simulated embed and ocr jobs carry a SimPayload, not the real kinds' payloads; crawl keeps its real check. */
let SimPayloadParser = class SimPayloadParser extends JobPayloadParser {
    parse(kind, row) {
        if (kind === JobKind.Crawl)
            return super.parse(kind, row);
        return row.payload;
    }
};
SimPayloadParser = __decorate([
    Injectable()
], SimPayloadParser);
/**
 * The simulated handlers in the real embed and ocr handlers' places, and their payload check
 * (Nest's provider overrides; the pipeline finds a handler by its provider token). Crawl keeps its
 * real handler and payload check.
 */
export const withSimHandlers = (b) => b
    .overrideProvider(EmbedJobHandler)
    .useClass(SimEmbedHandler)
    .overrideProvider(OcrJobHandler)
    .useClass(SimOcrHandler)
    .overrideProvider(JobPayloadParser)
    .useClass(SimPayloadParser);
//# sourceMappingURL=sim-handlers.js.map