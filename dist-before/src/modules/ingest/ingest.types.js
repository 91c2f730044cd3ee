import { SetMetadata } from '@nestjs/common';
/**
 * The seam between features that need background work and the ingest pipeline (BullMQ).
 * Features enqueue through IngestEnqueuer inside their own tenant transaction (transactional
 * outbox: the ingest_jobs row commits or rolls back with the work that asked for it), and
 * mark the providers that handle their job kinds with @JobHandler(kind).
 */
export var JobKind;
(function (JobKind) {
    JobKind["Embed"] = "embed";
    JobKind["Crawl"] = "crawl";
    JobKind["Ocr"] = "ocr";
})(JobKind || (JobKind = {}));
export var JobStatus;
(function (JobStatus) {
    JobStatus["Queued"] = "queued";
    JobStatus["Running"] = "running";
    JobStatus["Succeeded"] = "succeeded";
    JobStatus["Failed"] = "failed";
    JobStatus["Cancelled"] = "cancelled";
})(JobStatus || (JobStatus = {}));
/** Interactive jobs (a single upload) start before backfill (bulk re-embed); fair within each. */
export var JobPriorityClass;
(function (JobPriorityClass) {
    JobPriorityClass["Interactive"] = "interactive";
    JobPriorityClass["Backfill"] = "backfill";
})(JobPriorityClass || (JobPriorityClass = {}));
export class IngestEnqueuer {
}
/** A job runs as its org, with no user, under the request id that enqueued it. */
export function tenantOfJob(job) {
    return {
        requestId: job.requestId ?? `job-${job.jobId}`,
        userId: null,
        orgId: job.orgId,
        role: null,
        isSuperAdmin: false,
    };
}
export class PermanentJobError extends Error {
}
/** The job's lease in Postgres is no longer this worker's (it expired and was reaped, or another worker took the job). */
export class LeaseLostError extends Error {
    constructor(jobId) {
        super(`the lease of ingest job ${jobId} was lost: another worker runs it`);
    }
}
/** The process is shutting down: the job goes back to the queue, no attempt spent. */
export class JobHandedBackError extends Error {
    constructor() {
        super('the worker is shutting down: the job was handed back to the queue');
    }
}
export const JOB_HANDLER = 'rocker:job-handler';
/**
 * Marks a provider as the handler of a job kind. The ingest module finds handlers with Nest's
 * DiscoveryService, so features need not import the ingest module to register theirs.
 */
export const JobHandler = (kind) => SetMetadata(JOB_HANDLER, kind);
/**
 * Queue naming shared by the ingest pipeline and the queue board: one BullMQ queue per JobKind,
 * named by its value, with BullMQ `prefix` = env.REDIS_PREFIX.
 */
export const queueNameOf = (kind) => kind;
//# sourceMappingURL=ingest.types.js.map