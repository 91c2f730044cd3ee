import { Injectable } from '@nestjs/common';
import { isUuid } from '../../common/uuid.js';
import { JobKind, PermanentJobError, type JobPayloads } from './ingest.types.js';

/** A stored payload that does not match its kind: the job fails at once (retrying cannot fix it). */
export class InvalidPayloadError extends PermanentJobError {
  constructor(kind: JobKind, why: string) {
    super(`invalid-payload: ${kind} job ${why}`);
  }
}

/** What a validator sees: the stored payload and the row's own knowledge_item_id column. */
export interface StoredJob {
  payload: unknown;
  knowledgeItemId: string | null;
}

type Validator<K extends JobKind> = (raw: Record<string, unknown>, row: StoredJob) => JobPayloads[K];

/**
 * The item a job works on. Rows written by older code, or by hand, may carry it only in the
 * column (payload `{}`), or as `knowledgeItemId`.
 */
function itemIdOf(kind: JobKind, raw: Record<string, unknown>, row: StoredJob, columnFirst = false): string {
  const fromPayload = raw.knowledge_item_id ?? raw.knowledgeItemId;
  const id = columnFirst ? (row.knowledgeItemId ?? fromPayload) : (fromPayload ?? row.knowledgeItemId);
  if (!isUuid(id)) throw new InvalidPayloadError(kind, 'without a valid knowledge_item_id');
  return id.toLowerCase();
}

const validators: { [K in JobKind]: Validator<K> } = {
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
@Injectable()
export class JobPayloadParser {
  parse<K extends JobKind>(kind: K, row: StoredJob): JobPayloads[K] {
    const raw = row.payload;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new InvalidPayloadError(kind, 'payload is not an object');
    const validate = validators[kind] as Validator<K> | undefined;
    if (!validate) throw new PermanentJobError(`no payload type for job kind ${kind}`);
    return validate(raw as Record<string, unknown>, row);
  }
}
