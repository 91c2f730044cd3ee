import type { Env } from './env.js';

/**
 * Typed configuration slices. The environment is validated once, at boot, as a whole (EnvDto and
 * loadEnv in env.ts: one error naming every bad variable; docs/configuration.md is generated from
 * it). Each slice below then takes the variables of one concern, under camelCase names (the
 * variable without the slice's prefix: INGEST_LOCK_MS → IngestConfig.lockMs), frozen. The
 * ConfigModule provides each slice under its class, and a module injects only its own:
 * `@Inject(IngestConfig) private readonly ingestConfig: IngestConfig`.
 *
 * A variable belongs to exactly one slice, and no module outside config/ and bootstrap injects the
 * whole Env (both checked by slices.spec.ts). What a variable means is documented on EnvDto.
 */

type VarMap = Record<string, keyof Env>;
export type SliceOf<V extends VarMap> = { readonly [K in keyof V]: Env[V[K]] };

/** The base of a slice class: the class is the injection token, `vars` maps its fields to variables. */
function slice<const V extends VarMap>(vars: V) {
  abstract class Slice {
    static readonly vars: V = vars;
    /** The frozen slice of a validated Env. */
    static from<T extends Slice>(this: abstract new () => T, env: Env): T {
      const out = Object.create(this.prototype) as Record<string, unknown>;
      for (const [field, name] of Object.entries(vars)) out[field] = env[name];
      return Object.freeze(out) as T;
    }
  }
  return Slice as unknown as {
    readonly vars: V;
    from: (typeof Slice)['from'];
  } & (abstract new () => SliceOf<V>);
}

/** What a process is: its role (API, workers, or both), log level and shutdown bound; the worker's health/metrics port. */
export abstract class ProcessConfig extends slice({
  nodeEnv: 'NODE_ENV',
  role: 'ROCKER_ROLE',
  logLevel: 'LOG_LEVEL',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  workerPort: 'WORKER_PORT',
  engineNice: 'ENGINE_NICE',
}) {}

/** The API's HTTP server: its port, the body limits checked before a handler runs, and its connection timeouts. */
export abstract class HttpConfig extends slice({
  port: 'PORT',
  bodyLimitBytes: 'BODY_LIMIT_BYTES',
  jsonMaxDepth: 'JSON_MAX_DEPTH',
  jsonMaxKeys: 'JSON_MAX_KEYS',
  connectionTimeoutMs: 'HTTP_CONNECTION_TIMEOUT_MS',
  requestTimeoutMs: 'HTTP_REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'HTTP_HEADERS_TIMEOUT_MS',
  keepAliveTimeoutMs: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  maxIdleConnectionsPerOrg: 'HTTP_MAX_IDLE_CONNECTIONS_PER_ORG',
  maxIdleAnswerBytesPerOrg: 'HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG',
  lingerMs: 'HTTP_LINGER_MS',
  trustProxy: 'HTTP_TRUST_PROXY',
}) {}

/** The app role's pool (DATABASE_URL, possibly through PgBouncer) and the direct connection for sessions. */
export abstract class DatabaseConfig extends slice({
  url: 'DATABASE_URL',
  directUrl: 'DATABASE_DIRECT_URL',
  ownerUrl: 'DATABASE_OWNER_URL',
  workerUrl: 'DATABASE_WORKER_URL',
  poolSize: 'DATABASE_POOL_SIZE',
  poolTimeoutMs: 'DATABASE_POOL_TIMEOUT_MS',
  maxQueuedPerOrg: 'DATABASE_MAX_QUEUED_PER_ORG',
  preparedStatements: 'DATABASE_PREPARED_STATEMENTS',
}) {}

/** Where Redis is (one server, or a cluster's seed nodes), how to reach it, and the key prefix. */
export abstract class RedisConfig extends slice({
  url: 'REDIS_URL',
  clusterNodes: 'REDIS_CLUSTER_NODES',
  tlsCaFile: 'REDIS_TLS_CA_FILE',
  prefix: 'REDIS_PREFIX',
}) {}

/** Bearer-token verification. */
export abstract class AuthConfig extends slice({
  secret: 'JWT_SECRET',
  publicKey: 'JWT_PUBLIC_KEY',
  jwksUrl: 'JWT_JWKS_URL',
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  adminSessionSecret: 'ADMIN_SESSION_SECRET',
}) {}

/** How this process proves each tenant context to the database (src/tenancy/context-mac.ts). */
export abstract class TenantContextConfig extends slice({
  keys: 'TENANT_CONTEXT_KEYS',
  ttlMs: 'TENANT_CONTEXT_TTL_MS',
}) {}

/** Memberships (invitations into an org). */
export abstract class OrgConfig extends slice({
  invitationTtlS: 'INVITATION_TTL_S',
}) {}

export abstract class MetricsConfig extends slice({
  token: 'METRICS_TOKEN',
}) {}

/** Load shedding of one API instance. */
export abstract class AdmissionConfig extends slice({
  maxInflight: 'ADMISSION_MAX_INFLIGHT',
  maxLagMs: 'ADMISSION_MAX_LAG_MS',
  maxUtilization: 'ADMISSION_MAX_UTILIZATION',
  maxSlowdown: 'ADMISSION_MAX_SLOWDOWN',
  sampleMs: 'ADMISSION_SAMPLE_MS',
  orgConcurrency: 'ADMISSION_ORG_CONCURRENCY',
  turnBodyMax: 'ADMISSION_TURN_BODY_MAX',
  largeAnswerBytesPerS: 'LARGE_ANSWER_BYTES_PER_S',
}) {}

export abstract class EmbeddingsConfig extends slice({
  provider: 'EMBEDDINGS_PROVIDER',
  baseUrl: 'EMBEDDINGS_BASE_URL',
  apiKey: 'EMBEDDINGS_API_KEY',
  model: 'EMBEDDINGS_MODEL',
  dim: 'EMBEDDINGS_DIM',
  batchSize: 'EMBEDDINGS_BATCH_SIZE',
  batchMaxChars: 'EMBEDDINGS_BATCH_MAX_CHARS',
  quickMaxChars: 'EMBEDDINGS_QUICK_MAX_CHARS',
  timeoutMs: 'EMBEDDINGS_TIMEOUT_MS',
  concurrency: 'EMBEDDINGS_CONCURRENCY',
  maxQueuedPerOrg: 'EMBEDDINGS_MAX_QUEUED_PER_ORG',
}) {}

/** Per-org vector indexes: which orgs get one, and the worker's maintenance pass that builds them. */
export abstract class SearchConfig extends slice({
  orgIndexMinChunks: 'SEARCH_ORG_INDEX_MIN_CHUNKS',
  orgIndexBitsMinChunks: 'SEARCH_ORG_INDEX_BITS_MIN_CHUNKS',
  orgIndexRecall: 'SEARCH_ORG_INDEX_RECALL',
  orgIndexSamples: 'SEARCH_ORG_INDEX_SAMPLES',
  orgIndexMax: 'SEARCH_ORG_INDEX_MAX',
  orgIndexIntervalMs: 'SEARCH_ORG_INDEX_INTERVAL_MS',
  orgIndexBuildMemMb: 'SEARCH_ORG_INDEX_BUILD_MEM_MB',
  orgIndexBuildWorkers: 'SEARCH_ORG_INDEX_BUILD_WORKERS',
  textCandidates: 'SEARCH_TEXT_CANDIDATES',
  textTimeoutMs: 'SEARCH_TEXT_TIMEOUT_MS',
  textConcurrency: 'SEARCH_TEXT_CONCURRENCY',
  textBudgetMs: 'SEARCH_TEXT_BUDGET_MS',
  itemMaxChunks: 'SEARCH_ITEM_MAX_CHUNKS',
}) {}

/** Content intake: crawl, uploads, PDF, OCR and the parser pools (several prefixes: the names keep theirs). */
export abstract class IntakeConfig extends slice({
  crawlAllowHosts: 'CRAWL_ALLOW_HOSTS',
  crawlAllowCidrs: 'CRAWL_ALLOW_CIDRS',
  crawlAllowPorts: 'CRAWL_ALLOW_PORTS',
  crawlConnectTimeoutMs: 'CRAWL_CONNECT_TIMEOUT_MS',
  crawlTimeoutMs: 'CRAWL_TIMEOUT_MS',
  crawlMaxBytes: 'CRAWL_MAX_BYTES',
  uploadMaxBytes: 'UPLOAD_MAX_BYTES',
  pdfMaxPages: 'PDF_MAX_PAGES',
  pdfTimeoutMs: 'PDF_TIMEOUT_MS',
  pdfMaxMemoryMb: 'PDF_MAX_MEMORY_MB',
  pdfTurnMs: 'PDF_TURN_MS',
  pdfPageTimeoutMs: 'PDF_PAGE_TIMEOUT_MS',
  pdfMaxQueuedPerOrg: 'PDF_MAX_QUEUED_PER_ORG',
  ocrMaxPixels: 'OCR_MAX_PIXELS',
  ocrSyncMaxPixels: 'OCR_SYNC_MAX_PIXELS',
  ocrTimeoutMs: 'OCR_TIMEOUT_MS',
  ocrMaxMemoryMb: 'OCR_MAX_MEMORY_MB',
  ocrTurnMs: 'OCR_TURN_MS',
  ocrMaxPaused: 'OCR_MAX_PAUSED',
  ocrConcurrency: 'OCR_CONCURRENCY',
  ocrMaxQueuedPerOrg: 'OCR_MAX_QUEUED_PER_ORG',
  parseThreads: 'PARSE_THREADS',
  parseWarmThreads: 'PARSE_WARM_THREADS',
  parseMaxQueuedPerOrg: 'PARSE_MAX_QUEUED_PER_ORG',
  parseTimeoutMs: 'PARSE_TIMEOUT_MS',
  htmlTurnMs: 'HTML_TURN_MS',
  htmlMaxPaused: 'HTML_MAX_PAUSED',
}) {}

/** Reading knowledge items back (the API's GET of one item). */
export abstract class KnowledgeConfig extends slice({
  inlineContentBytes: 'KNOWLEDGE_INLINE_CONTENT_BYTES',
}) {}

/** The rate limiter (RATE_LIMIT_*), the per-org limits cache and usage metering. */
export abstract class LimitsConfig extends slice({
  enabled: 'RATE_LIMIT_ENABLED',
  defaults: 'RATE_LIMIT_DEFAULTS',
  dryRun: 'RATE_LIMIT_DRY_RUN',
  redisTimeoutMs: 'RATE_LIMIT_REDIS_TIMEOUT_MS',
  refusalPaceMs: 'RATE_LIMIT_REFUSAL_PACE_MS',
  cacheMs: 'LIMITS_CACHE_MS',
  usageFlushMs: 'USAGE_FLUSH_MS',
  authFailures: 'RATE_LIMIT_AUTH_FAILURES',
  authWindowS: 'RATE_LIMIT_AUTH_WINDOW_S',
  public: 'RATE_LIMIT_PUBLIC',
  badBodies: 'RATE_LIMIT_BAD_BODIES',
  badBodyWindowS: 'RATE_LIMIT_BAD_BODY_WINDOW_S',
  maxStoredChunks: 'LIMITS_MAX_STORED_CHUNKS',
  maxQueuedJobs: 'LIMITS_MAX_QUEUED_JOBS',
  maxStoredBytes: 'LIMITS_MAX_STORED_BYTES',
}) {}

export abstract class TtsConfig extends slice({
  provider: 'TTS_PROVIDER',
  espeakBin: 'ESPEAK_BIN',
  baseUrl: 'TTS_BASE_URL',
  apiKey: 'TTS_API_KEY',
  model: 'TTS_MODEL',
  maxChars: 'TTS_MAX_CHARS',
  sentenceFloorChars: 'TTS_SENTENCE_FLOOR_CHARS',
  audioCharsPerSecond: 'TTS_AUDIO_CHARS_PER_SECOND',
  maxBufferedAudioS: 'TTS_MAX_BUFFERED_AUDIO_S',
  bufferedSlots: 'TTS_BUFFERED_SLOTS',
  concurrency: 'TTS_CONCURRENCY',
  maxQueuedPerOrg: 'TTS_MAX_QUEUED_PER_ORG',
  timeoutMs: 'TTS_TIMEOUT_MS',
}) {}

/** The ingest queue. */
export abstract class IngestConfig extends slice({
  orgConcurrency: 'INGEST_ORG_CONCURRENCY',
  orgRate: 'INGEST_ORG_RATE',
  orgRateBurst: 'INGEST_ORG_RATE_BURST',
  workerConcurrency: 'INGEST_WORKER_CONCURRENCY',
  crawlConcurrency: 'INGEST_CRAWL_CONCURRENCY',
  maxAttempts: 'INGEST_MAX_ATTEMPTS',
  backoffMs: 'INGEST_BACKOFF_MS',
  lockMs: 'INGEST_LOCK_MS',
  watchdogMs: 'INGEST_WATCHDOG_MS',
  leaseMs: 'INGEST_LEASE_MS',
  dispatchWindow: 'INGEST_DISPATCH_WINDOW',
  dispatchIntervalMs: 'INGEST_DISPATCH_INTERVAL_MS',
  reconcileAfterMs: 'INGEST_RECONCILE_AFTER_MS',
  slotRetryMs: 'INGEST_SLOT_RETRY_MS',
}) {}

/** Where a connection that needs a session (LISTEN, session settings) goes: never through a transaction pooler. */
export function sessionUrl(db: Pick<DatabaseConfig, 'url' | 'directUrl'>): string {
  return db.directUrl ?? db.url;
}

/**
 * Whether tenant statements are named prepared statements (DATABASE_PREPARED_STATEMENTS): `auto`
 * means yes on a direct connection, no when DATABASE_DIRECT_URL names another server (a pooler in
 * front of DATABASE_URL).
 */
export function preparedStatementsOn(db: Pick<DatabaseConfig, 'url' | 'directUrl' | 'preparedStatements'>): boolean {
  if (db.preparedStatements === 'auto') return !db.directUrl || db.directUrl === db.url;
  return db.preparedStatements === 'true';
}

/** The worker role's session URL: DATABASE_WORKER_URL's credentials on DATABASE_DIRECT_URL's server and database. */
export function sessionWorkerUrl(db: Pick<DatabaseConfig, 'workerUrl' | 'directUrl'>): string | undefined {
  if (!db.workerUrl || !db.directUrl) return db.workerUrl;
  const w = new URL(db.workerUrl);
  const d = new URL(db.directUrl);
  w.host = d.host;
  w.pathname = d.pathname;
  return w.toString();
}

/** Every slice, by a short name (the key slicesOf gives it). */
export const SLICES = {
  process: ProcessConfig,
  http: HttpConfig,
  database: DatabaseConfig,
  redis: RedisConfig,
  auth: AuthConfig,
  tenantContext: TenantContextConfig,
  org: OrgConfig,
  metrics: MetricsConfig,
  admission: AdmissionConfig,
  embeddings: EmbeddingsConfig,
  search: SearchConfig,
  intake: IntakeConfig,
  knowledge: KnowledgeConfig,
  limits: LimitsConfig,
  tts: TtsConfig,
  ingest: IngestConfig,
} as const;

export type Slices = { readonly [K in keyof typeof SLICES]: InstanceType<(typeof SLICES)[K]> };

/** Every slice of a validated Env (the ConfigModule's providers; tests: `new X(slicesOf(env).ingest)`). */
export function slicesOf(env: Env): Slices {
  return Object.fromEntries(
    Object.entries(SLICES).map(([key, S]) => [key, (S as { from(env: Env): object }).from(env)]),
  ) as unknown as Slices;
}
