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
import { isMarkedAsUntransferable } from 'node:worker_threads';
import { IntakeConfig, ProcessConfig } from '../../../config/slices.js';
import { FairPool } from '../../../common/fair/fair-pool.js';
import { EngineTimeoutError } from '../../../common/fair/fair-scheduler.js';
import { ProblemException } from '../../../common/filters/problem.js';
// src/ runs type-stripped .ts under the test runner; dist/ has the compiled .js beside this file.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './html-worker.ts' : './html-worker.js', import.meta.url);
/**
 * HTML sanitising and readability on the `html` worker-thread pool (html-worker.ts holds the one
 * sanitiser configuration): PARSE_THREADS threads, orgs served in turn with requests ahead of
 * crawl jobs, PARSE_MAX_QUEUED_PER_ORG documents waiting per org (429 overloaded past it),
 * PARSE_TIMEOUT_MS from enqueue (the thread is stopped past it). A 10 MiB document costs seconds
 * of CPU; here it costs another org nothing but, at worst, its turn.
 */
let HtmlEngine = class HtmlEngine {
    constructor(intakeConfig, processConfig) {
        this.pool = new FairPool({
            name: 'html',
            filename: WORKER_URL,
            threads: intakeConfig.parseThreads,
            maxQueuedPerOrg: intakeConfig.parseMaxQueuedPerOrg,
            timeoutMs: intakeConfig.parseTimeoutMs,
            nice: processConfig.engineNice,
            warm: intakeConfig.parseWarmThreads,
            // A hostile document can cost its thread, not the process's heap.
            resourceLimits: { maxOldGenerationSizeMb: 1024, maxYoungGenerationSizeMb: 64 },
        });
    }
    /** The sanitised HTML (see html-worker.ts) and its plain text for chunking and search. */
    clean(html, who) {
        return this.run('clean', html, who);
    }
    /**
     * An uploaded HTML file, by its bytes (sniffUpload checked only their start for a large file):
     * the worker decodes and checks them as UTF-8 text (415 unsupported-media-type when they are
     * not, as sniffUpload answers), then cleans. The bytes go by transfer, not copied (`data` is
     * empty afterwards unless it lived in Node's shared pool, whose small buffers are copied); the
     * answer is UTF-8 bytes, transferred back, for the database as they are.
     */
    async cleanUpload(data, who) {
        const own = isMarkedAsUntransferable(data.buffer) ? new Uint8Array(data) : data;
        const bytes = own.buffer;
        const out = await this.run('cleanUpload', { bytes, offset: own.byteOffset, length: own.byteLength }, who, undefined, [bytes]);
        if (!out.ok)
            throw new ProblemException(415, 'unsupported-media-type', 'the file is neither a supported binary format nor UTF-8 text');
        const buf = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
        return { html: buf(out.html), text: buf(out.text) };
    }
    /** The readable article text of a fetched page (Readability on linkedom; all its text when no article). */
    readable(html, who, signal) {
        return this.run('readable', html, who, signal);
    }
    /**
     * 429 overloaded (queue full) and 503 engine-timeout (waited too long) pass through; a document
     * that used most of the limit itself, or cost its thread (heap cap), is 422.
     */
    async run(fn, task, who, signal, transferList) {
        try {
            return await this.pool.run(who.key, fn, task, { cls: who.cls, signal, transferList });
        }
        catch (e) {
            if (signal?.aborted)
                throw e; // the caller stopped (a job handed back at shutdown)
            if (e instanceof EngineTimeoutError && e.overran())
                throw new ProblemException(422, 'html-timeout', `the HTML took longer than ${e.limitMs} ms to process`);
            if (e instanceof ProblemException)
                throw e;
            throw new ProblemException(422, 'malformed-html', 'the HTML could not be processed');
        }
    }
    onApplicationShutdown() {
        return this.pool.close();
    }
};
HtmlEngine = __decorate([
    Injectable(),
    __param(0, Inject(IntakeConfig)),
    __param(1, Inject(ProcessConfig)),
    __metadata("design:paramtypes", [IntakeConfig,
        ProcessConfig])
], HtmlEngine);
export { HtmlEngine };
//# sourceMappingURL=html.js.map