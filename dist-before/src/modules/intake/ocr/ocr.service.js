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
import { normaliseFileName } from '../content/file-name.js';
import { checkImageSize } from '../content/image-probe.js';
import { readSingleFile } from '../content/multipart.js';
import { sniffUpload, UploadKind } from '../content/sniff.js';
import { ProblemException } from '../../../common/filters/problem.js';
import { fairKey, WorkClass } from '../../../common/fair/fair-scheduler.js';
import { intakeRefusals } from '../../../common/metrics/metrics.js';
import { orgLabel } from '../../../common/metrics/org-label.js';
import { UploadService } from '../upload.service.js';
import { OcrEngine } from './ocr.engine.js';
let OcrService = class OcrService {
    constructor(intakeConfig, engine, uploads) {
        this.intakeConfig = intakeConfig;
        this.engine = engine;
        this.uploads = uploads;
    }
    async recognizeUpload(req, tenant) {
        try {
            return await this.recognize(req, tenant);
        }
        catch (e) {
            if (e instanceof ProblemException)
                intakeRefusals.inc({ path: 'ocr', reason: e.slug ?? String(e.getStatus()), org: orgLabel(tenant.orgId) });
            throw e;
        }
    }
    async recognize(req, tenant) {
        const file = await readSingleFile(req, this.intakeConfig.uploadMaxBytes);
        const fileName = normaliseFileName(file.fileName);
        const sniffed = await sniffUpload(file.data, fileName, file.clientType);
        if (sniffed.kind !== UploadKind.Png && sniffed.kind !== UploadKind.Jpeg) {
            throw new ProblemException(415, 'unsupported-media-type', 'OCR takes PNG or JPEG images');
        }
        const size = checkImageSize(file.data, sniffed.mime, this.intakeConfig.ocrMaxPixels);
        if (this.uploads.isSmall(size))
            return { text: await this.engine.recognize(file.data, { key: fairKey(tenant), cls: WorkClass.Request }), ...size };
        const title = (file.fields.title ?? '').trim().slice(0, 300) || fileName;
        const { item, jobId } = await this.uploads.storeForOcrJob(tenant, { title, sourceKind: 'upload', mimeType: sniffed.mime, fileName, byteSize: file.data.length }, file.data);
        return { job_id: jobId, knowledge_item_id: item.id };
    }
};
OcrService = __decorate([
    Injectable(),
    __param(0, Inject(IntakeConfig)),
    __metadata("design:paramtypes", [IntakeConfig,
        OcrEngine,
        UploadService])
], OcrService);
export { OcrService };
//# sourceMappingURL=ocr.service.js.map