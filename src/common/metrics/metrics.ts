import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * Every metric the service exports, in one place, so dashboards, alerts and tests name the same
 * series. Per-org label values always go through orgLabel() (cardinality budget).
 * All live in prom-client's default registry, served at GET /metrics.
 */
export const metricsRegistry = register;

const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

// HTTP
export const httpDuration = once('rocker_http_request_duration_seconds', () => new Histogram({
  name: 'rocker_http_request_duration_seconds',
  help: 'HTTP request duration by route, method, status class and org',
  labelNames: ['route', 'method', 'status_class', 'org'] as const,
  buckets,
}));

// Queues (ingest)
export const queueJobs = once('rocker_queue_jobs', () => new Gauge({
  name: 'rocker_queue_jobs',
  help: 'Ingest jobs by queue, org and state (queued, running, delayed, failed)',
  labelNames: ['queue', 'org', 'state'] as const,
}));
export const queueOldestQueuedSeconds = once('rocker_queue_oldest_queued_seconds', () => new Gauge({
  name: 'rocker_queue_oldest_queued_seconds',
  help: 'Age of the oldest queued job by queue',
  labelNames: ['queue'] as const,
}));
export const jobDuration = once('rocker_job_duration_seconds', () => new Histogram({
  name: 'rocker_job_duration_seconds',
  help: 'Ingest job run time by queue, org and outcome',
  labelNames: ['queue', 'org', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
}));
export const workerRestarts = once('rocker_ingest_worker_restarts_total', () => new Counter({
  name: 'rocker_ingest_worker_restarts_total',
  help: 'Ingest workers found wedged (jobs ready, none started for INGEST_WATCHDOG_MS) and replaced, by queue',
  labelNames: ['queue'] as const,
}));
export const jobWait = once('rocker_job_wait_seconds', () => new Histogram({
  name: 'rocker_job_wait_seconds',
  help: 'Time from enqueue to start by queue and org',
  labelNames: ['queue', 'org'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
}));

// Rate limits
export const rateLimitDecisions = once('rocker_ratelimit_decisions_total', () => new Counter({
  name: 'rocker_ratelimit_decisions_total',
  help: 'Rate-limit decisions by policy, org and decision (allowed, limited, dry_run_limited; abandoned: the client went away while its refusal was paced)',
  labelNames: ['policy', 'org', 'decision'] as const,
}));
const decisionChildren = new Map<string, { inc: () => void }>();
/**
 * Counts one decision in rocker_ratelimit_decisions_total through a kept child: every request
 * counts one or more, and prom-client's labels() checks and hashes the labels on each call. Bounded
 * like the series: policies × the org-label budget × decisions.
 */
export function countDecision(policy: string, org: string, decision: string): void {
  const key = `${policy}\n${org}\n${decision}`;
  let child = decisionChildren.get(key);
  if (!child) decisionChildren.set(key, (child = rateLimitDecisions.labels(policy, org, decision)));
  child.inc();
}
export const admissionShed = once('rocker_admission_shed_total', () => new Counter({
  name: 'rocker_admission_shed_total',
  help: 'Requests shed at admission (429 overloaded) while the instance was saturated, by org',
  labelNames: ['org'] as const,
}));
export const admissionWaiting = once('rocker_admission_waiting', () => new Gauge({
  name: 'rocker_admission_waiting',
  help: 'Requests waiting right now for their org\'s turn (ADMISSION_ORG_CONCURRENCY: an org over its fair share of a shared instance), by org',
  labelNames: ['org'] as const,
}));
export const rateLimitHeld = once('rocker_ratelimit_held', () => new Gauge({
  name: 'rocker_ratelimit_held',
  help: 'Requests held right now by a paced refusal (RATE_LIMIT_REFUSAL_PACE_MS), by org',
  labelNames: ['org'] as const,
}));
export const rateLimitFallback = once('rocker_ratelimit_fallback_active', () => new Gauge({
  name: 'rocker_ratelimit_fallback_active',
  help: '1 while the limiter runs on its per-instance in-memory fallback (Redis unreachable)',
}));
export const rateLimitInstances = once('rocker_ratelimit_instances', () => new Gauge({
  name: 'rocker_ratelimit_instances',
  help: 'API instances alive at the last heartbeat: the Redis-down fallback allows limit / this per instance',
}));

// TTS
export const ttsTimeToFirstAudio = once('rocker_tts_time_to_first_audio_seconds', () => new Histogram({
  name: 'rocker_tts_time_to_first_audio_seconds',
  help: 'Time from request to the first audio bytes, by org',
  labelNames: ['org'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
}));

// Database and Redis
export const dbPoolConnections = once('rocker_db_pool_connections', () => new Gauge({
  name: 'rocker_db_pool_connections',
  help: 'App-role pool connections by state (total, idle, waiting)',
  labelNames: ['state'] as const,
}));
export const tenantTxDuration = once('rocker_tenant_tx_duration_seconds', () => new Histogram({
  name: 'rocker_tenant_tx_duration_seconds',
  help: 'Duration of tenant transactions (requests and jobs) by kind',
  labelNames: ['kind'] as const,
  buckets,
}));
export const redisUp = once('rocker_redis_up', () => new Gauge({
  name: 'rocker_redis_up',
  help: '1 when Redis answers PING',
}));
export const dbUp = once('rocker_db_up', () => new Gauge({
  name: 'rocker_db_up',
  help: '1 when the database accepts a new app-role connection and answers SELECT 1 (checked outside the pool)',
}));

// Content intake (crawl, uploads, OCR)
export const intakeRefusals = once('rocker_intake_refusals_total', () => new Counter({
  name: 'rocker_intake_refusals_total',
  help: 'Refused intake by path (crawl_submit, crawl_job, upload, ocr), reason (problem slug, e.g. ssrf-blocked) and org',
  labelNames: ['path', 'reason', 'org'] as const,
}));
