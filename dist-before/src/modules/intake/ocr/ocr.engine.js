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
import { IntakeConfig } from '../../../config/slices.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { ProcessSpawner } from '../../../common/process/spawner.js';
import { EngineTimeoutError, FairScheduler } from '../../../common/fair/fair-scheduler.js';
import { niceOfRank } from '../../../common/fair/fair-pool.js';
/** Text recognition behind an interface: the local engine by default, others by config. */
export class OcrEngine {
}
/**
 * Debian's tesseract (offline, English data from `tesseract-ocr-eng`) as a child process:
 * image on stdin, text on stdout. A shared engine of the process: OCR_CONCURRENCY processes at
 * once (and one spare for a request of an org running none), an org's second and later images at a
 * lower priority, orgs served in turn with requests ahead of ocr jobs (FairScheduler), OCR_MAX_QUEUED_PER_ORG
 * images waiting per org (429 overloaded past it), OCR_TIMEOUT_MS counted from enqueue (the
 * process is killed past it). A child process keeps the engine's memory and crashes out of the
 * service; the process spawner starts it, so this process's event loop never waits for a fork.
 */
let TesseractCliEngine = class TesseractCliEngine extends OcrEngine {
    constructor(intakeConfig, spawner) {
        super();
        this.intakeConfig = intakeConfig;
        this.spawner = spawner;
        this.engine = new FairScheduler({
            name: 'ocr',
            slots: intakeConfig.ocrConcurrency,
            maxQueuedPerOrg: intakeConfig.ocrMaxQueuedPerOrg,
            timeoutMs: intakeConfig.ocrTimeoutMs,
            // a second org's small image starts at once instead of waiting out one org's dense ones
            spare: 1,
        });
    }
    async recognize(image, who, signal) {
        try {
            return await this.engine.run(who.key, (s, rank) => this.run(image, s, rank), {
                cls: who.cls,
                signal,
            });
        }
        catch (e) {
            // The image itself took most of the limit: retrying will not help (422). Waiting for the
            // engine stays 503 engine-timeout (retried).
            if (e instanceof EngineTimeoutError && e.overran())
                throw new ProblemException(422, 'ocr-timeout', `text recognition took longer than ${this.intakeConfig.ocrTimeoutMs} ms`);
            throw e;
        }
    }
    /** `rank` > 0: the org's second or later image at once, run at a lower priority (niceOfRank). */
    run(image, signal, rank) {
        return new Promise((resolve, reject) => {
            const child = this.spawner.spawn('tesseract', ['stdin', 'stdout', '-l', 'eng', '--psm', '3'], {
                env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OMP_THREAD_LIMIT: '1', LANG: 'C.UTF-8' },
                nice: niceOfRank(this.spawner.nice, rank),
            });
            const out = [];
            let outSize = 0;
            let settled = false;
            const finish = (err, text) => {
                if (settled)
                    return;
                settled = true;
                signal.removeEventListener('abort', onAbort);
                if (err)
                    reject(err);
                else
                    resolve(text);
            };
            // Past the time limit (or abandoned): the process goes, and its slot with it.
            const onAbort = () => {
                child.kill('SIGKILL');
                finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
            };
            signal.addEventListener('abort', onAbort, { once: true });
            child.stdout.on('data', (c) => {
                outSize += c.length;
                if (outSize <= 10 * 1024 * 1024)
                    out.push(c);
            });
            child.stderr.resume();
            child.on('error', () => finish(new ProblemException(503, 'ocr-unavailable', 'the OCR engine is not available')));
            child.on('close', (code) => {
                if (code === 0)
                    finish(null, Buffer.concat(out).toString('utf8').replace(/\f/g, '').trim());
                else
                    finish(new ProblemException(422, 'unreadable-image', 'the image could not be read'));
            });
            child.stdin.end(image);
        });
    }
};
TesseractCliEngine = __decorate([
    Injectable(),
    __param(0, Inject(IntakeConfig)),
    __metadata("design:paramtypes", [IntakeConfig,
        ProcessSpawner])
], TesseractCliEngine);
export { TesseractCliEngine };
//# sourceMappingURL=ocr.engine.js.map