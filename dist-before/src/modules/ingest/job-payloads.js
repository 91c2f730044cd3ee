var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
import { Injectable } from '@nestjs/common';
import { isUuid } from '../../common/uuid.js';
import { JobKind, PermanentJobError } from './ingest.types.js';
/** A stored payload that does not match its kind: the job fails at once (retrying cannot fix it). */
export class InvalidPayloadError extends PermanentJobError {
    constructor(kind, why) {
        super(`invalid-payload: ${kind} job ${why}`);
    }
}
/**
 * The item a job works on. Rows written by older code, or by hand, may carry it only in the
 * column (payload `{}`), or as `knowledgeItemId`.
 */
function itemIdOf(kind, raw, row, columnFirst = false) {
    const fromPayload = raw.knowledge_item_id ?? raw.knowledgeItemId;
    const id = columnFirst ? (row.knowledgeItemId ?? fromPayload) : (fromPayload ?? row.knowledgeItemId);
    if (!isUuid(id))
        throw new InvalidPayloadError(kind, 'without a valid knowledge_item_id');
    return id.toLowerCase();
}
const validators = {
    [JobKind.Embed]: (raw, row) => ({ knowledge_item_id: itemIdOf(JobKind.Embed, raw, row, true) }),
    [JobKind.Crawl]: (raw, row) => {
        const knowledge_item_id = itemIdOf(JobKind.Crawl, raw, row);
        if (typeof raw.url !== 'string' || raw.url.length === 0)
            throw new InvalidPayloadError(JobKind.Crawl, 'without a url');
        return { knowledge_item_id, url: raw.url };
    },
    [JobKind.Ocr]: (raw, row) => ({ knowledge_item_id: itemIdOf(JobKind.Ocr, raw, row) }),
};
/**
 * The one run-time check of a job's payload, made by the pipeline before the handler runs (the
 * enqueuer's types guarantee the shape for rows written by this code; this covers the others).
 * A provider, so that a test double for a kind's handler can bring its own payload shape.
 */
let JobPayloadParser = class JobPayloadParser {
    parse(kind, row) {
        const raw = row.payload;
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
            throw new InvalidPayloadError(kind, 'payload is not an object');
        const validate = validators[kind];
        if (!validate)
            throw new PermanentJobError(`no payload type for job kind ${kind}`);
        return validate(raw, row);
    }
};
JobPayloadParser = __decorate([
    Injectable()
], JobPayloadParser);
export { JobPayloadParser };
//# sourceMappingURL=job-payloads.js.map