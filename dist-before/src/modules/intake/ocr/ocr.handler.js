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
import { checkImageSize } from '../content/image-probe.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { EngineBusyError, WorkClass } from '../../../common/fair/fair-scheduler.js';
import { JobHandler, JobKind, PermanentJobError, } from '../../ingest/ingest.types.js';
import { KnowledgeService } from '../../knowledge/knowledge.service.js';
import { OcrEngine } from './ocr.engine.js';
/**
 * The ocr job: the item's stored image → its text, then the image is dropped. Reads in a short
 * tenant transaction, recognises in none, writes text, blob removal and embed request together;
 * re-running after success finds no blob and changes nothing.
 */
let OcrJobHandler = class OcrJobHandler {
    constructor(intakeConfig, engine, knowledge) {
        this.intakeConfig = intakeConfig;
        this.engine = engine;
        this.knowledge = knowledge;
        this.kind = JobKind.Ocr;
    }
    async handle(job) {
        const itemId = job.payload.knowledge_item_id;
        const { item, blob } = await job.db(async () => ({
            item: await this.knowledge.find(itemId),
            blob: await this.knowledge.getBlob(itemId),
        }));
        if (!item)
            throw new PermanentJobError('not-found: the knowledge item no longer exists');
        if (!blob) {
            if (item.content_text !== null)
                return; // already done by an earlier delivery
            throw new PermanentJobError('not-found: the image to recognise is gone');
        }
        let text;
        try {
            checkImageSize(blob.data, blob.mime_type, this.intakeConfig.ocrMaxPixels);
            text = await this.engine.recognize(blob.data, { key: job.orgId, cls: WorkClass.Job }, job.signal);
        }
        catch (e) {
            // Client-class refusals (bad image, too large, timeout) will not get better on retry; a full
            // queue for the engine (429) and a wait past the time limit (503) will.
            if (e instanceof ProblemException && e.getStatus() < 500 && !(e instanceof EngineBusyError))
                throw new PermanentJobError(`${e.slug}: ${e.message}`);
            throw e;
        }
        return async () => {
            // Gone meanwhile (deleted, or another delivery finished first): nothing left to write.
            if (!(await this.knowledge.deleteBlob(itemId)))
                return;
            await this.knowledge.setContent(itemId, { contentText: text });
            await this.knowledge.requestEmbedding(itemId, { followUp: true });
        };
    }
};
OcrJobHandler = __decorate([
    Injectable(),
    JobHandler(JobKind.Ocr),
    __param(0, Inject(IntakeConfig)),
    __metadata("design:paramtypes", [IntakeConfig,
        OcrEngine,
        KnowledgeService])
], OcrJobHandler);
export { OcrJobHandler };
//# sourceMappingURL=ocr.handler.js.map