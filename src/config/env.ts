import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEnv } from 'node:util';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** `<id>:<secret>` pairs, comma-separated; a secret is base64 (or base64url) of at least 32 bytes. */
export const CONTEXT_KEYS_PATTERN =
  /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_-]{43,}={0,2}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_-]{43,}={0,2})*$/;

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/** Every variable the service reads. Validated once at boot; a bad value stops the process. */
export class EnvDto {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  WORKER_PORT = 3001;

  /**
   * SIGTERM to exit, at most (keep it within the deployment's terminationGracePeriodSeconds): the
   * process stops taking jobs, lets running ones finish until 2.5 s before this, then hands the rest
   * back to the queue (no attempt spent) and exits; a hard exit at the bound covers anything stuck.
   * HTTP requests in progress finish; idle connections, and ones that never sent a request (a
   * balancer's pre-opened ones), are closed at once.
   */
  @Transform(toInt) @IsInt() @Min(3000) @Max(600_000)
  SHUTDOWN_GRACE_MS = 10_000;

  @IsIn(['all', 'api', 'worker'])
  ROCKER_ROLE: 'all' | 'api' | 'worker' = 'all';

  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL: string;

  @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_OWNER_URL must be a postgres:// URL' })
  DATABASE_OWNER_URL?: string;

  /**
   * The worker role (`rocker_worker`: the app role's grants plus the ingest dispatcher's
   * functions, which the app role lacks). Required where the process runs workers (`ROCKER_ROLE`
   * `all` or `worker`): a `worker` process connects as it throughout; an `all` process only for the
   * dispatcher.
   */
  @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_WORKER_URL must be a postgres:// URL' })
  DATABASE_WORKER_URL?: string;

  /**
   * A direct Postgres connection (not through a pooler) for what needs a session: LISTEN (the
   * membership cache's invalidation, the ingest dispatcher's wake-ups) and the dispatcher's claim
   * connection (those two as the worker role: DATABASE_WORKER_URL's credentials on this URL's server
   * and database). Unset: DATABASE_URL and DATABASE_WORKER_URL are used as they are. When they point
   * at PgBouncer in transaction pooling mode, set it: boot runs a LISTEN/NOTIFY self-test and stops
   * if notifications do not arrive.
   */
  @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_DIRECT_URL must be a postgres:// URL' })
  DATABASE_DIRECT_URL?: string;

  /**
   * A request's tenant statements as named prepared statements, parsed and planned once per
   * connection (a list page's planning cost the database more than running it). A job's statements,
   * and any whose plan depends on its values (an optional filter, a full-text match), stay unnamed
   * (docs/performance.md). `auto`: on when DATABASE_URL is a direct connection (DATABASE_DIRECT_URL
   * unset or the same URL), off when it points at a pooler: PgBouncer before 1.21 (or without
   * `max_prepared_statements`) in transaction mode cannot keep a statement prepared on one server
   * connection for the next transaction. Set `true` behind PgBouncer 1.21+ with
   * `max_prepared_statements` > 0.
   */
  @IsIn(['auto', 'true', 'false'])
  DATABASE_PREPARED_STATEMENTS: 'auto' | 'true' | 'false' = 'auto';

  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;

  /** How long a request waits for a pooled connection: past it 429 overloaded when its org holds its share of the connections, else 503. */
  @Transform(toInt) @IsInt() @Min(100) @Max(120_000)
  DATABASE_POOL_TIMEOUT_MS = 5000;

  /** Tenant transactions one org may have waiting for a connection; past it 429 overloaded. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  DATABASE_MAX_QUEUED_PER_ORG = 64;

  /** `redis://[user:password@]host:port/db`; `rediss://` for TLS. The ACL user and password are used on every connection. */
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL: string;

  /**
   * A Redis Cluster instead of one Redis (comma-separated `host:port` seed nodes, e.g.
   * `10.0.0.1:6379,10.0.0.2:6379`): every Redis use (limiter, usage, cache invalidation, queues)
   * then goes to the cluster. REDIS_URL then gives only the scheme (`rediss://` = TLS) and the
   * credentials (`user:password@`) used on every node; its host is not contacted.
   */
  @IsOptional() @Matches(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, {
    message: 'REDIS_CLUSTER_NODES must be comma-separated host:port pairs',
  })
  REDIS_CLUSTER_NODES?: string;

  /** PEM file of the CA (or CAs) that signed the Redis server certificate, for a `rediss://` Redis with a private CA; else the system's CAs. */
  @IsOptional() @IsString() @MinLength(1)
  REDIS_TLS_CA_FILE?: string;

  /** Prefix of every Redis key this deployment writes (queues, limits, caches). */
  @IsString() @Matches(/^[a-z0-9_-]{1,32}$/)
  REDIS_PREFIX = 'rocker';

  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  @IsOptional() @IsString()
  JWT_PUBLIC_KEY?: string;

  @IsOptional() @IsUrl({ require_tld: false })
  JWT_JWKS_URL?: string;

  @IsString() @MinLength(1)
  JWT_ISSUER = 'rocker-dev';

  @IsString() @MinLength(1)
  JWT_AUDIENCE = 'rocker-api';

  @IsString() @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN: string;

  /**
   * Keys that sign each tenant context for the database (`tenant_begin()` refuses an unsigned one):
   * `<id>:<secret>[,<id>:<secret>...]`, the secret at least 32 random bytes in base64. The first
   * signs; `npm run context-keys` installs every listed key where the database verifies them, so two
   * can be valid at once while keys rotate (docs/security.md#tenant-context-keys).
   */
  @IsString() @Matches(CONTEXT_KEYS_PATTERN, {
    message: 'TENANT_CONTEXT_KEYS must be <id>:<base64 secret of 32+ bytes>[,<id>:<secret>...] (ids: letters, digits, _ and -)',
  })
  TENANT_CONTEXT_KEYS: string;

  /** How long a signed tenant context is accepted after it is made (it is used at once; this covers clock skew with the database). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(600_000)
  TENANT_CONTEXT_TTL_MS = 60_000;

  /**
   * Signs the queue board's browser sessions (the cookie set by POST /admin/login); the same value on
   * every API instance. Unset: derived from JWT_SECRET where there is one, else browser sign-in is off
   * (the board still takes a Bearer token).
   */
  @IsOptional() @IsString() @MinLength(32, { message: 'ADMIN_SESSION_SECRET must be at least 32 characters' })
  ADMIN_SESSION_SECRET?: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Transform(toInt) @IsInt() @Min(1024) @Max(50 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Requests in flight on one API instance past which it sheds the orgs above their fair share (429 overloaded). */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000)
  ADMISSION_MAX_INFLIGHT = 256;

  /** Event-loop delay (p99 of the last sample, ms) past which an instance counts as saturated; 0 = off. */
  @Transform(toInt) @IsInt() @Min(0) @Max(60_000)
  ADMISSION_MAX_LAG_MS = 75;

  /** Event-loop utilisation (0..1) of the last sample past which an instance counts as saturated; 0 = off. */
  @Transform(toInt) @IsNumber() @Min(0) @Max(1)
  ADMISSION_MAX_UTILIZATION = 0.9;

  /**
   * Slowdown (median latency of their plain reads against each one's baseline) of the orgs other
   * than the one offering the most load past which an instance counts as saturated; 0 = off, else
   * at least 1.
   */
  @Transform(toInt) @IsNumber() @Min(0) @Max(1000)
  ADMISSION_MAX_SLOWDOWN = 2;

  /**
   * While other orgs use an API instance, the requests (bodyless, or with a body within
   * ADMISSION_TURN_BODY_MAX) an org over its fair share of the instance runs at once (at least 4
   * while its event loop is under a quarter busy and nothing is shed); the rest wait their turn in
   * order (up to 256, then 429 overloaded); 0 = off.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000)
  ADMISSION_ORG_CONCURRENCY = 1;

  /**
   * A request whose body is declared (`Content-Length`) at most this many bytes, or sent chunked,
   * takes its org's turn (ADMISSION_ORG_CONCURRENCY) before its body is read, as a bodyless one
   * does: a search or a message is one request's work. A larger declared body takes it once the
   * body is read (a slow client's upload holds no turn); uploads (multipart) never wait for a turn.
   * 0 = every body that is not an upload takes it once read.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_048_576)
  ADMISSION_TURN_BODY_MAX = 65_536;

  /**
   * Bytes of large answers (an item's documents or a page of long messages, streamed) an org may
   * have written per second by one API instance, one second's worth up front; past it the org's
   * next large answer waits (holding no connection) until the budget refills. 0 = unpaced.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_073_741_824)
  LARGE_ANSWER_BYTES_PER_S = 16_777_216;

  /** How often an instance samples its load (lag, utilisation) and adjusts its shedding pressure, ms. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60_000)
  ADMISSION_SAMPLE_MS = 250;

  /** Deepest nesting of a JSON body, checked before it is parsed (400 json-too-complex past it). */
  @Transform(toInt) @IsInt() @Min(2) @Max(1000)
  JSON_MAX_DEPTH = 32;

  /** Object keys in a JSON body, checked before it is parsed. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  JSON_MAX_KEYS = 10_000;

  /**
   * Longest a connection may stay silent (no byte either way) before it is closed (Fastify
   * connectionTimeout). Above the slowest request a handler may take (OCR, PDF, a long stream
   * sends bytes and is never idle).
   */
  @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000)
  HTTP_CONNECTION_TIMEOUT_MS = 120_000;

  /** Longest a client may take to send a whole request, headers and body (Fastify requestTimeout; 408 past it). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000)
  HTTP_REQUEST_TIMEOUT_MS = 120_000;

  /** Longest a client may take to send the request line and headers (slowloris bound; the connection is closed past it). */
  @Transform(toInt) @IsInt() @Min(500) @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** How long an idle keep-alive connection stays open for the next request (above a load balancer's idle timeout). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /**
   * Keep-alive connections one org (or a user without one) may leave idle after an answer on one
   * instance; past it its oldest one idle for a second is reset, with whatever of its answer the
   * client has not read: an answer the kernel has taken but the client never reads holds host
   * memory until the keep-alive timeout. 0 = no cap.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000)
  HTTP_MAX_IDLE_CONNECTIONS_PER_ORG = 256;

  /**
   * Bytes of answers one org's idle keep-alive connections on one instance may leave unread in the
   * kernel's send queues (read from /proc once their answers' sizes pass it; where it cannot be
   * read, the sizes count); past it its oldest idle connection with unread bytes is reset (never its
   * newest, nor one idle under a second). 0 = no cap.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_073_741_824)
  HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG = 33_554_432;

  /**
   * After an answer that closes a connection whose client may still be sending (a body refused
   * before it was read: 400, 401, 413, 429), how long the server keeps reading and discarding
   * before it closes, so the client reads the answer instead of a reset; 0 closes at once. A
   * shutdown waits for lingering connections, so it stays within the default SHUTDOWN_GRACE_MS.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(10_000)
  HTTP_LINGER_MS = 2_000;

  /**
   * The proxies in front of the API whose X-Forwarded-For is believed (comma list of addresses and
   * CIDRs, or `loopback`, `linklocal`, `uniquelocal`): a request from one of them counts as from the
   * client address the header names, for the per-address limit on bad tokens. Unset: every request
   * is its peer's (behind a balancer, all clients would share one bad-token bucket). Never list an
   * address clients can reach directly: they could name any address.
   */
  @IsOptional() @IsString()
  HTTP_TRUST_PROXY?: string;

  /** local: Universal Sentence Encoder lite shipped in an npm package (offline); openai: any OpenAI-compatible API. */
  @IsIn(['local', 'openai'])
  EMBEDDINGS_PROVIDER: 'local' | 'openai' = 'local';

  /** OpenAI-compatible base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama). */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  EMBEDDINGS_BASE_URL?: string;

  @IsOptional() @IsString()
  EMBEDDINGS_API_KEY?: string;

  @IsOptional() @IsString() @MinLength(1)
  EMBEDDINGS_MODEL?: string;

  /** Vector dimension of the model; must equal the database column (vector(512)), checked at boot. */
  @Transform(toInt) @IsInt() @Min(1) @Max(16000)
  EMBEDDINGS_DIM = 512;

  @Transform(toInt) @IsInt() @Min(1) @Max(2048)
  EMBEDDINGS_BATCH_SIZE = 16;

  /**
   * Characters in one batch of the model at most (a longer input is a batch alone): a batch is one
   * turn of the shared model, so this bounds how long another org's query waits behind one org's
   * long inputs (16 inputs of 20,000 characters were one 19.6 s turn; 4,000 characters take the
   * local model about 160 ms).
   */
  @Transform(toInt) @IsInt() @Min(100) @Max(1_000_000)
  EMBEDDINGS_BATCH_MAX_CHARS = 4000;

  /**
   * A request's batch of at most this many characters (a search query, a short POST /v1/embeddings)
   * runs on the model's quick lane: a second thread of the local model (a second turn for a remote
   * API), served in turns per org as the first. So another org's long batch, which cannot be
   * interrupted, never holds a search query back. Job work always takes the first lane. 0 = one
   * lane. The second local thread loads on its first batch (about 0.8 s of CPU, 120 MB of memory).
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(100_000)
  EMBEDDINGS_QUICK_MAX_CHARS = 512;

  /**
   * Nice value (0-19) of the threads and processes that do engine work: the embedding model's
   * thread, the HTML and PDF pools' threads, and the process spawner with the OCR and TTS commands
   * it starts (Linux: only those; the event loop keeps normal priority). On a busy host the event
   * loop, which answers every org's requests, goes ahead of one org's heavy parsing or inference,
   * while an idle CPU still runs engine work at full speed. 0 = same priority as the event loop.
   * The main thread keeps its priority: it holds queue leases, database locks and the dispatch
   * claim (renicing the whole process can stall those and everything behind them).
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(19)
  ENGINE_NICE = 10;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  EMBEDDINGS_TIMEOUT_MS = 30_000;

  /** Batches a remote embeddings API runs at once (the local model runs one at a time). */
  @Transform(toInt) @IsInt() @Min(1) @Max(256)
  EMBEDDINGS_CONCURRENCY = 4;

  /** Batches one org may have waiting for the model; past it a request gets 429 overloaded. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  EMBEDDINGS_MAX_QUEUED_PER_ORG = 64;
  // --- content intake (crawl, uploads, OCR); see README "Security" ---

  /** Host names the crawler may reach whatever they resolve to (comma-separated; `.suffix` matches subdomains). Empty by default. */
  @IsString() @Matches(/^[a-z0-9.,*_-]*$/i, { message: 'CRAWL_ALLOW_HOSTS must be comma-separated host names' })
  CRAWL_ALLOW_HOSTS = '';

  /** Address ranges the crawler may reach although they are private/loopback/... (comma-separated CIDRs). Empty by default. */
  @IsString() @Matches(/^[0-9a-f.:/,]*$/i, { message: 'CRAWL_ALLOW_CIDRS must be comma-separated CIDRs' })
  CRAWL_ALLOW_CIDRS = '';

  /** Ports besides 80 (http) and 443 (https) the crawler may use (comma-separated). Empty by default. */
  @IsString() @Matches(/^[0-9,]*$/, { message: 'CRAWL_ALLOW_PORTS must be comma-separated port numbers' })
  CRAWL_ALLOW_PORTS = '';

  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  CRAWL_CONNECT_TIMEOUT_MS = 5_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(300_000)
  CRAWL_TIMEOUT_MS = 20_000;

  @Transform(toInt) @IsInt() @Min(1024) @Max(100 * 1024 * 1024)
  CRAWL_MAX_BYTES = 5 * 1024 * 1024;

  @Transform(toInt) @IsInt() @Min(1) @Max(200 * 1024 * 1024)
  UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

  /**
   * `GET /v1/knowledge/:id`: an item's text or HTML whose JSON is at most this many bytes (a
   * control character is six bytes of it) is answered as one value; a larger one is read from the
   * database in slices of 32 KiB and its JSON written a
   * slice per turn of the event loop, so a multi-megabyte item never holds the loop (every org's
   * requests) for one long stretch. The answer is the same document either way.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(16 * 1024 * 1024)
  KNOWLEDGE_INLINE_CONTENT_BYTES = 256 * 1024;

  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  PDF_MAX_PAGES = 500;

  @Transform(toInt) @IsInt() @Min(100) @Max(300_000)
  PDF_TIMEOUT_MS = 15_000;

  /**
   * Memory one PDF's parse may hold besides the input, heap and buffers (what its compressed
   * streams inflate to), in MiB; past it the parse is stopped and the upload is 422 `pdf-too-large`.
   */
  @Transform(toInt) @IsInt() @Min(16) @Max(16_384)
  PDF_MAX_MEMORY_MB = 256;

  /**
   * How long one page of a PDF (or its opening) may take to read, in ms; past it the parse is
   * stopped and the upload is 422 `pdf-page-timeout`. A page cannot stop partway to give its
   * thread to another org's document, so this bounds that wait (a 59 KB page of 5 million text
   * operators reads for 6 s; an ordinary page in milliseconds). 0: only PDF_TIMEOUT_MS bounds it.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(300_000)
  PDF_PAGE_TIMEOUT_MS = 2_000;

  /**
   * How long a PDF parse runs, in ms, before it gives its thread to another org's waiting document
   * and resumes at its next page in a later turn; 0: a parse keeps its thread to the end.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(300_000)
  PDF_TURN_MS = 200;

  /** Images above this many pixels (read from the header, before decoding) are refused. */
  @Transform(toInt) @IsInt() @Min(1) @Max(500_000_000)
  OCR_MAX_PIXELS = 40_000_000;

  /** Images up to this many pixels are OCR'd in the request; larger ones go through the ocr job. */
  @Transform(toInt) @IsInt() @Min(1) @Max(500_000_000)
  OCR_SYNC_MAX_PIXELS = 4_000_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  OCR_TIMEOUT_MS = 30_000;

  /**
   * Address space of one tesseract process, in MiB (its memory limit, set with prlimit); past it
   * the image is 422 `ocr-too-large`. A 13 KB PNG of 40 million pixels of dots otherwise took 790 MB.
   */
  @Transform(toInt) @IsInt() @Min(128) @Max(65_536)
  OCR_MAX_MEMORY_MB = 512;

  /**
   * How long a tesseract process runs, in ms, before it is paused (SIGSTOP) to give its slot to
   * another org's waiting image, resuming (SIGCONT) in its org's next turn (OCR_MAX_PAUSED at a
   * time). 0: an image keeps its slot to the end.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(300_000)
  OCR_TURN_MS = 200;

  /**
   * tesseract processes paused between turns at once in this process; each keeps its memory (up to
   * OCR_MAX_MEMORY_MB). Past it a process runs on, and a newcomer waits for a slot to end.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(64)
  OCR_MAX_PAUSED = 2;

  /** Tesseract processes at once in this process (the machine has few cores). */
  @Transform(toInt) @IsInt() @Min(1) @Max(64)
  OCR_CONCURRENCY = 2;

  /** Images one org may have waiting for the OCR engine in this process; past it 429 overloaded. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  OCR_MAX_QUEUED_PER_ORG = 8;

  /** Documents one org may have waiting for the PDF parser pool in this process; past it 429 overloaded. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  PDF_MAX_QUEUED_PER_ORG = 8;

  /** Worker threads of each parser pool (HTML sanitising and readability; PDF text), started on demand. */
  @Transform(toInt) @IsInt() @Min(1) @Max(64)
  PARSE_THREADS = 1;

  /**
   * Threads of each parser pool (HTML, PDF) started at boot and kept, up to PARSE_THREADS + 1: the
   * spare thread a second org's document takes while one org holds the pool starts at once only
   * if it is already running (starting one and loading its parser takes about 300 ms). The HTML
   * pool keeps one more while its documents take turns (HTML_TURN_MS, HTML_MAX_PAUSED), for the
   * newcomer that runs while another org's document is held (about 45 MB resident each).
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(65)
  PARSE_WARM_THREADS = 2;

  /** HTML documents one org may have waiting for the HTML pool in this process; past it 429 overloaded. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  PARSE_MAX_QUEUED_PER_ORG = 8;

  /** Time limit of one HTML document on the pool, from enqueue (waiting included); its thread is stopped past it. */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  PARSE_TIMEOUT_MS = 60_000;

  /**
   * How long an HTML document is sanitised, in ms, before its thread is held (at its next element)
   * to give its slot to another org's waiting document, going on in its org's next turn
   * (HTML_MAX_PAUSED at a time). Shorter than PDF_TURN_MS: a held document is not opened again,
   * a turn costs a thread switch. 0: a document keeps its thread to the end.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(300_000)
  HTML_TURN_MS = 50;

  /**
   * HTML documents held between turns at once in this process; each keeps its thread and its memory.
   * Past it a document runs on, and a newcomer waits for a thread to end.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(64)
  HTML_MAX_PAUSED = 2;
  /** Kill switch (benchmarks, emergencies): false lets every request through, unmetered. */
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : value === true || value === 'true' || value === '1'))
  @IsBoolean()
  RATE_LIMIT_ENABLED = true;

  /** Per-policy defaults over the built-in ones, JSON like the admin body: {"tts":{"limit":600,"window_s":60}}. */
  @IsOptional() @IsString()
  RATE_LIMIT_DEFAULTS?: string;

  /** Policies in dry-run mode by default (comma list): counted, logged, never blocked. */
  @IsOptional() @Matches(/^([a-z]+)(,[a-z]+)*$/, { message: 'RATE_LIMIT_DRY_RUN must be a comma list of policy names' })
  RATE_LIMIT_DRY_RUN?: string;

  /**
   * A limiter decision slower than this counts as Redis unreachable: it is decided by the
   * per-instance fallback (limits divided by the live instance count), never admitted unchecked.
   */
  @Transform(toInt) @IsInt() @Min(10) @Max(10_000)
  RATE_LIMIT_REDIS_TIMEOUT_MS = 250;

  /**
   * A request whose bucket this instance already knows to be empty (its memo of the last decision:
   * no Redis call) is held, before admission, this long (ms) or until the bucket's next token if
   * sooner, then decided: refused with the headers of that moment, or admitted. A client that fires
   * its next request the moment it reads a 429 on a slow bucket gets one answer per connection per
   * pace instead of thousands a second (bench:fair-share rows a and a2: the quiet org's p95
   * 0.91-1.49x beside such a flood, 1.80-2.07x without). Held at most once; a client gone or a
   * shutdown ends the hold. 0 = refusals at once.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(10_000)
  RATE_LIMIT_REFUSAL_PACE_MS = 500;

  /** How long an instance trusts its cached per-org limits (changes are also pushed by pub/sub). */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  LIMITS_CACHE_MS = 5000;

  /**
   * Requests with a missing, invalid or expired token one client address may make per
   * RATE_LIMIT_AUTH_WINDOW_S before its further bad tokens are answered 429 (a valid token from
   * the same address still passes).
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  RATE_LIMIT_AUTH_FAILURES = 30;

  /** The window of RATE_LIMIT_AUTH_FAILURES, in seconds (a token bucket: one more every window/limit). */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400)
  RATE_LIMIT_AUTH_WINDOW_S = 60;

  /**
   * Requests one client address may make per minute, on each instance, to what no one is billed
   * for: public routes (health, metrics, the OpenAPI document), the docs UI and its assets, the
   * queue board's pages, and unknown paths (a token bucket of this size; one more every
   * 60/limit s). Past it: 429 with Retry-After. Tenants' API routes never count. 0 = off.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000)
  RATE_LIMIT_PUBLIC = 600;

  /**
   * Requests with a body that one user may have refused (400, 413, 415 or 422: malformed, too
   * deep, too large, invalid) per RATE_LIMIT_BAD_BODY_WINDOW_S, whatever org they are for, before
   * its further requests with a body are refused 429 before the body is read (paced like any known
   * refusal); its requests without a body, and the other members of its orgs, still pass.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  RATE_LIMIT_BAD_BODIES = 10;

  /** The window of RATE_LIMIT_BAD_BODIES, in seconds (a token bucket: one more every window/limit). */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400)
  RATE_LIMIT_BAD_BODY_WINDOW_S = 60;

  /**
   * Chunks from which an org gets its own HNSW index (a partial index the search routes to; built
   * by the worker's maintenance pass as the owner role). It keeps it until it falls under half.
   */
  @Transform(toInt) @IsInt() @Min(100) @Max(100_000_000)
  SEARCH_ORG_INDEX_MIN_CHUNKS = 2000;

  /**
   * 0 = never. Otherwise the chunks from which the pass tries a graph of the embeddings' sign bits
   * for an org's own index, its candidates re-ranked exactly, instead of half-precision vectors (it
   * changes back under half). Cheaper only where an org's rows crowd around each other, so the pass
   * keeps it only when its calibration reaches SEARCH_ORG_INDEX_RECALL within 80 candidates; an org
   * that misses gets half precision and is not tried again until it has doubled. Without the
   * calibration (SEARCH_ORG_INDEX_RECALL = 0) the size alone decides: measure recall on your data first.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000)
  SEARCH_ORG_INDEX_BITS_MIN_CHUNKS = 50_000;

  /**
   * Recall@10 the pass asks of an org's sign-bit index, measured on SEARCH_ORG_INDEX_SAMPLES of the
   * org's own rows as queries (each without itself) against exact search: it writes the smallest
   * candidate count (40, 60 or 80) that reaches it into the index's comment, which the search then
   * uses for that org, or replaces the index by a half-precision one. Measured again when the org
   * has doubled. 0 = off (the size alone picks the kind; rocker.search_org_bits_candidates or 40).
   */
  @Transform(toInt) @IsNumber() @Min(0) @Max(1)
  SEARCH_ORG_INDEX_RECALL = 0.99;

  /** Sample queries of one measurement (each one exact search over the org's rows, then one search per candidate count tried). */
  @Transform(toInt) @IsInt() @Min(10) @Max(1000)
  SEARCH_ORG_INDEX_SAMPLES = 50;

  /** At most this many per-org indexes (the largest orgs); every one costs each chunk insert a predicate check and each plan a look. */
  @Transform(toInt) @IsInt() @Min(0) @Max(1000)
  SEARCH_ORG_INDEX_MAX = 32;

  /**
   * How often a worker process runs the per-org index pass (one process in the fleet at a time;
   * 0 = never: `npm run search:org-indexes` runs one by hand). Needs DATABASE_OWNER_URL.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(86_400_000)
  SEARCH_ORG_INDEX_INTERVAL_MS = 300_000;

  /** maintenance_work_mem (MB) of a per-org index build: a graph that does not fit is built far more slowly. */
  @Transform(toInt) @IsInt() @Min(16) @Max(65_536)
  SEARCH_ORG_INDEX_BUILD_MEM_MB = 512;

  /**
   * Parallel workers of a per-org index build (max_parallel_maintenance_workers for the pass's
   * session). 0: the build is one backend, one core, and the other orgs' queries keep the rest
   * (bench:search-pass on 2 cores: a second org searching one at a time, p95 1.22x during the
   * build against 3.29x with the server's default of 2; the build 1.0-1.45x as long). Raise it on a
   * database host with cores to spare.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(64)
  SEARCH_ORG_INDEX_BUILD_WORKERS = 0;

  /**
   * Matching chunks the full-text half of a hybrid search ranks at most (the first the index or
   * scan yields): a query matching most of a large org's chunks (or of the market) ranks this many,
   * not all of them (ad hoc, 200,000 chunks: 6-66 ms against 0.5-1.3 s of three backends).
   */
  @Transform(toInt) @IsInt() @Min(10) @Max(100_000)
  SEARCH_TEXT_CANDIDATES = 1000;

  /**
   * Time the full-text half of a hybrid search may take (its statement_timeout, ms); past it the
   * search answers from the vector half alone, `mode: "vector"`. A phrase of common words that
   * rarely occur together is read row by row whatever the index (0.5 s for 200,000 chunks).
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  SEARCH_TEXT_TIMEOUT_MS = 250;

  /**
   * Full-text halves of hybrid searches one process runs at once, served fairly across orgs (one
   * more for an org that holds none): the database backends one org's text queries can keep busy
   * through this process. A half waits for its turn at most SEARCH_TEXT_TIMEOUT_MS, and an org has
   * at most 16 waiting; past either the search answers from its vector half (mode vector).
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(64)
  SEARCH_TEXT_CONCURRENCY = 1;

  /**
   * Milliseconds of full-text work per second one org's hybrid searches may take in this process
   * (a token bucket of one second's worth, the time of each text half spent after it ran). An org
   * past it gets its searches answered from the vector half (mode vector) until its bucket refills,
   * so one org's costly phrases keep a database backend busy for at most this share of the time,
   * not all of it. At 250 that is 10-50 ordinary hybrid searches a second per process. 0 = no budget.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1000)
  SEARCH_TEXT_BUDGET_MS = 250;

  /**
   * Chunks one knowledge item may be indexed as (about 800 characters each: 2,000 is 1.6 million
   * characters of text). An embed job whose item makes more fails before the model runs (split the
   * document). Its chunks are written into the vector index in one statement: 10,000 took 11-24 s
   * of one Postgres backend here (2 cores; ad hoc), past the 15 s statement_timeout, after the
   * model had spent minutes on them; 2,000 take 1.2-3.0 s.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  SEARCH_ITEM_MAX_CHUNKS = 2000;

  /** Chunks an org may keep in the vector indexes (private chunks and its market listings' copies), unless its limits say otherwise (caps.stored_chunks). */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000_000)
  LIMITS_MAX_STORED_CHUNKS = 1_000_000;

  /** Ingest jobs an org may have waiting (queued), unless its limits say otherwise (caps.queued_jobs). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000_000)
  LIMITS_MAX_QUEUED_JOBS = 10_000;

  /**
   * Bytes an org may keep (item text and HTML, uploads waiting for OCR, thread messages and
   * titles, invitations and their audit and outbox rows; each row counts 256 bytes besides),
   * unless its limits say otherwise (caps.stored_bytes). Default 10 GiB.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(1e15)
  LIMITS_MAX_STORED_BYTES = 10 * 1024 ** 3;

  /** How long an org invitation's token can be accepted (default 7 days). */
  @Transform(toInt) @IsInt() @Min(60) @Max(90 * 86_400)
  INVITATION_TTL_S = 7 * 86_400;

  /** How often metered usage moves from Redis to Postgres (usage_daily). */
  @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000)
  USAGE_FLUSH_MS = 10_000;

  @IsIn(['espeak', 'openai'])
  TTS_PROVIDER: 'espeak' | 'openai' = 'espeak';

  @IsString() @MinLength(1)
  ESPEAK_BIN = 'espeak-ng';

  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  TTS_BASE_URL?: string;

  @IsOptional() @IsString()
  TTS_API_KEY?: string;

  @IsString() @MinLength(1)
  TTS_MODEL = 'tts-1';

  /** Longest text one POST /v1/tts accepts (characters); longer → 413. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  TTS_MAX_CHARS = 5000;

  /** Characters each sentence costs at least (every sentence starts an engine process). */
  @Transform(toInt) @IsInt() @Min(0) @Max(5000)
  TTS_SENTENCE_FLOOR_CHARS = 50;

  /**
   * The audio a request's characters pay for: this many characters a second of audio made. Audio
   * past it (text the engine reads out long, such as `㍻` for a whole word) is charged when the
   * synthesis ends, at this rate, to the org's `tts` bucket (past empty) and its monthly quota. Prose
   * makes about 15 characters a second with espeak-ng, so at 10 it is never charged more. 0: off.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(1000)
  TTS_AUDIO_CHARS_PER_SECOND = 10;

  /**
   * Longest audio one buffered answer holds (`tts_streaming` off for the org), seconds: the process
   * keeps the whole WAV in memory until it is sent (about 44 KB a second of espeak-ng speech, 26 MB
   * at the default). A text whose audio runs longer has its synthesis stopped there and is refused
   * 422 (the audio made is charged). Prose of TTS_MAX_CHARS makes about 330 s. A streamed answer
   * holds one sentence's audio at a time and is not bounded by this.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400)
  TTS_MAX_BUFFERED_AUDIO_S = 600;

  /**
   * Buffered answers (`tts_streaming` off) synthesised at once per process, shared fairly across
   * orgs (the rest wait, at most TTS_TIMEOUT_MS, up to TTS_MAX_QUEUED_PER_ORG per org): with
   * TTS_MAX_BUFFERED_AUDIO_S they bound the audio the process holds (8 × 26 MB at the defaults),
   * however many orgs ask at once.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  TTS_BUFFERED_SLOTS = 8;

  /** Sentences synthesised at once per process (engine processes), shared fairly across orgs. */
  @Transform(toInt) @IsInt() @Min(1) @Max(64)
  TTS_CONCURRENCY = 2;

  /** Sentences one org may have waiting for the engine; past it 429 overloaded. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  TTS_MAX_QUEUED_PER_ORG = 8;

  /** Time limit of one sentence, from enqueue (waiting included). */
  @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  TTS_TIMEOUT_MS = 30_000;
  // Ingest queue (README "Ingest pipeline")
  /** Running jobs per org across every worker process, unless org_limits.job_concurrency says otherwise. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  INGEST_ORG_CONCURRENCY = 4;

  /**
   * Job starts per org per second across every worker (0 = no limit): bounds how much shared
   * database work one org's backlog causes per second, whatever its concurrency. A job over the
   * rate goes back to delayed without spending an attempt. The default, 5, comes from measured
   * capacity: a job costs about 10 ms of Postgres work, so 5 a second is 5 % of a core per busy
   * org, and the noisy-neighbour load test meets its thresholds with it. A single-tenant install
   * may set 0.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(100_000)
  INGEST_ORG_RATE = 5;

  /** Starts an org may make at once above its rate, after a quiet spell (0 = one second's worth). */
  @Transform(toInt) @IsInt() @Min(0) @Max(100_000)
  INGEST_ORG_RATE_BURST = 0;

  /** Jobs one worker process runs at once, per queue (the crawl queue: INGEST_CRAWL_CONCURRENCY). */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  INGEST_WORKER_CONCURRENCY = 8;

  /**
   * Crawl jobs one worker process runs at once. A crawl mostly waits on a remote server (up to
   * CRAWL_TIMEOUT_MS), not on this process, and its parsing queues per org on the parser pools: so
   * more run at once than of other kinds, and a few orgs' slow pages (INGEST_ORG_CONCURRENCY each)
   * cannot hold every crawl worker while another org's crawls wait (two orgs did at 8).
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  INGEST_CRAWL_CONCURRENCY = 32;

  @Transform(toInt) @IsInt() @Min(1) @Max(50)
  INGEST_MAX_ATTEMPTS = 5;

  /** First retry delay; doubles per attempt, with jitter. */
  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000)
  INGEST_BACKOFF_MS = 2000;

  /** BullMQ job lock and per-org slot lease: a killed worker's job and slot free themselves after this. */
  @Transform(toInt) @IsInt() @Min(500) @Max(600_000)
  INGEST_LOCK_MS = 30_000;

  /**
   * A worker that has room and starts none of the jobs waiting ready in its queue for this long is
   * replaced by a new one on new connections (a wedged Redis connection after a failover); 0 = off.
   * More than BullMQ's drain delay (5 s), the longest a live worker takes to notice a ready job.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(3_600_000)
  INGEST_WATCHDOG_MS = 30_000;

  /**
   * A running job's lease in Postgres (renewed every third of it): a job whose worker died goes back
   * to queued once it expires (the attempt counted), and a stale worker's commit is refused.
   */
  @Transform(toInt) @IsInt() @Min(500) @Max(600_000)
  INGEST_LEASE_MS = 30_000;

  /** Rows in flight per org = its concurrency limit × this (keeps workers fed, keeps the queue fair). */
  @Transform(toInt) @IsInt() @Min(1) @Max(100)
  INGEST_DISPATCH_WINDOW = 2;

  /** Fallback dispatch poll; LISTEN/NOTIFY wakes the dispatcher at once in the normal case. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60_000)
  INGEST_DISPATCH_INTERVAL_MS = 1000;

  /** A queued row dispatched this long ago is checked against Redis and re-sent if Redis lost it. */
  @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000)
  INGEST_RECONCILE_AFTER_MS = 60_000;

  /** Fallback wait of a job that found its org at its limit (delayed, no attempt spent); a released slot wakes it sooner. */
  @Transform(toInt) @IsInt() @Min(5) @Max(60_000)
  INGEST_SLOT_RETRY_MS = 250;
}

export type Env = EnvDto;

/** Reads `.env` (if present) under the real environment, which always wins. */
function readDotEnv(path = '.env'): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

export class ConfigError extends Error {}

export function loadEnv(overrides: Record<string, string | undefined> = {}, dotEnvPath = '.env'): Env {
  const raw: Record<string, unknown> = { ...readDotEnv(dotEnvPath), ...process.env, ...overrides };
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  const env = plainToInstance(EnvDto, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, skipMissingProperties: false });
  const problems = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  if (!env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    problems.push('JWT_SECRET | JWT_PUBLIC_KEY | JWT_JWKS_URL: one of them must be set');
  }
  if (env.NODE_ENV === 'production' && env.JWT_SECRET && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
    problems.push('JWT_SECRET: HS256 secrets are for development; production needs JWT_PUBLIC_KEY or JWT_JWKS_URL');
  }
  if (env.EMBEDDINGS_PROVIDER === 'openai') {
    if (!env.EMBEDDINGS_BASE_URL) problems.push('EMBEDDINGS_BASE_URL: required when EMBEDDINGS_PROVIDER=openai');
    if (!env.EMBEDDINGS_MODEL) problems.push('EMBEDDINGS_MODEL: required when EMBEDDINGS_PROVIDER=openai');
  } else if (env.EMBEDDINGS_DIM !== 512) {
    problems.push('EMBEDDINGS_DIM: the local model (Universal Sentence Encoder lite) gives 512 dimensions');
  }
  if (env.ROCKER_ROLE !== 'api' && !env.DATABASE_WORKER_URL) {
    problems.push('DATABASE_WORKER_URL: required when ROCKER_ROLE runs workers (all | worker)');
  }
  if (env.TENANT_CONTEXT_KEYS && CONTEXT_KEYS_PATTERN.test(env.TENANT_CONTEXT_KEYS)) {
    const ids = env.TENANT_CONTEXT_KEYS.split(',').map((k) => k.split(':')[0]);
    if (new Set(ids).size !== ids.length) problems.push('TENANT_CONTEXT_KEYS: a key id is listed twice');
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }
  if (env.ADMISSION_MAX_SLOWDOWN > 0 && env.ADMISSION_MAX_SLOWDOWN < 1) {
    problems.push('ADMISSION_MAX_SLOWDOWN: 0 (off) or at least 1 (a factor over each org\'s own baseline)');
  }
  if (env.INGEST_WATCHDOG_MS > 0 && env.INGEST_WATCHDOG_MS < 6000) {
    problems.push('INGEST_WATCHDOG_MS: 0 (off) or at least 6000 (a live worker may take 5 s to notice a ready job)');
  }
  if (env.TTS_PROVIDER === 'openai' && !env.TTS_BASE_URL) problems.push('TTS_BASE_URL: required when TTS_PROVIDER=openai');
  if (env.REDIS_CLUSTER_NODES && /^rediss?:\/\/[^/]*\/(?!0?$)/.test(env.REDIS_URL ?? '')) {
    problems.push('REDIS_URL: a Redis Cluster has database 0 only (REDIS_CLUSTER_NODES is set)');
  }
  if (env.REDIS_TLS_CA_FILE && !existsSync(env.REDIS_TLS_CA_FILE)) problems.push('REDIS_TLS_CA_FILE: no such file');
  if (env.HTTP_TRUST_PROXY?.trim() && !trustedProxies(env.HTTP_TRUST_PROXY)) {
    problems.push('HTTP_TRUST_PROXY: a comma list of IP addresses, CIDRs, loopback, linklocal or uniquelocal');
  }
  if (env.RATE_LIMIT_DEFAULTS) {
    try {
      const v = JSON.parse(env.RATE_LIMIT_DEFAULTS);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error();
    } catch {
      problems.push('RATE_LIMIT_DEFAULTS: must be a JSON object');
    }
  }
  if (problems.length) {
    // Values are never echoed: they may be secrets.
    throw new ConfigError(`Invalid configuration (${problems.length}):\n  - ${problems.join('\n  - ')}`);
  }
  return env;
}

/**
 * HTTP_TRUST_PROXY as the list Fastify's trustProxy takes, or null when it names none or an entry
 * is not an address, a CIDR or one of proxy-addr's names.
 */
export function trustedProxies(value: string): string[] | null {
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  const ok = (e: string) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(e)) return true;
    const [addr, bits, extra] = e.split('/');
    const family = isIP(addr);
    if (!family || extra !== undefined) return false;
    return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  return entries.length && entries.every(ok) ? entries : null;
}

export const ENV = Symbol('ENV');
