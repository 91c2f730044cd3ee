#!/usr/bin/env bash
# One idempotent command that makes this machine ready to run and test rocker-platform:
# Node 24 runtime (npm registry), npm dependencies (lock file), apt tools, pgvector, roles,
# databases, PgBouncer, migrations and a development .env. Running it twice changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { printf '[setup] %s\n' "$*"; }

PGHOST_URL_ADMIN=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export SCARF_ANALYTICS=false ONNXRUNTIME_NODE_INSTALL=skip DO_NOT_TRACK=1

# --- 1. apt tools (espeak-ng for TTS, tesseract for OCR, server headers for pgvector, promtool, libevent
#        for PgBouncer, chromium for the queue board's browser test, driven by playwright-core) ---
APT_PKGS=(postgresql-server-dev-15 build-essential espeak-ng tesseract-ocr tesseract-ocr-eng prometheus sox libevent-dev pkg-config chromium)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's prometheus package starts a daemon on :9090; we only want promtool and the binary.
  (systemctl stop prometheus 2>/dev/null || pkill -x prometheus 2>/dev/null || true)
fi

# Debian trixie's source package $1, unpacked under $2 (its directory in TRIXIE_SRC). Bookworm lacks
# pgvector and has PgBouncer 1.18; trixie's sources build here against bookworm's libraries.
trixie_source() {
  local APTDIR=/var/lib/rocker-apt
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/sources.list.d"
  echo "deb-src http://deb.debian.org/debian trixie main" > "$APTDIR/sources.list"
  local APTOPTS=(-o "Dir::Etc::sourcelist=$APTDIR/sources.list" -o "Dir::Etc::sourceparts=$APTDIR/sources.list.d" -o "Dir::State::Lists=$APTDIR/lists")
  # the index once per run, however many packages are built from it
  if [ -z "${TRIXIE_INDEXED:-}" ]; then apt-get "${APTOPTS[@]}" update -qq; TRIXIE_INDEXED=1; fi
  (cd "$2" && apt-get "${APTOPTS[@]}" source -qq "$1" >/dev/null 2>&1)
  TRIXIE_SRC=$(find "$2" -maxdepth 1 -type d -name "$1-*" | head -1)
}

# --- 2. pgvector, built from Debian trixie's source package against PostgreSQL 15 ---
PG_SHARE=$(pg_config --sharedir)
if [ ! -f "$PG_SHARE/extension/vector.control" ]; then
  log "building pgvector from Debian trixie sources"
  BUILD=$(mktemp -d)
  trixie_source pgvector "$BUILD"
  SRC=$TRIXIE_SRC
  make -s -C "$SRC" PG_CONFIG=/usr/bin/pg_config OPTFLAGS="" >/dev/null
  make -s -C "$SRC" PG_CONFIG=/usr/bin/pg_config install >/dev/null
  rm -rf "$BUILD"
fi

# --- 2b. PgBouncer 1.24, built from Debian trixie's source package (docs/scaling.md) ---
# Bookworm's 1.18 cannot carry a named prepared statement from one transaction to the next;
# 1.21 and later can (max_prepared_statements), so the service's prepared statements work behind it.
PGB_BIN=/opt/rocker-pgbouncer/bin/pgbouncer
if [ ! -x "$PGB_BIN" ] || ! "$PGB_BIN" --version 2>/dev/null | grep -q '^PgBouncer 1\.2[4-9]'; then
  log "building pgbouncer from Debian trixie sources"
  BUILD=$(mktemp -d)
  trixie_source pgbouncer "$BUILD"
  SRC=$TRIXIE_SRC
  (cd "$SRC" && ./configure -q --prefix=/opt/rocker-pgbouncer --without-cares --with-systemd=no >/dev/null && make -s -j"$(nproc)" >/dev/null)
  install -D -m 755 "$SRC/pgbouncer" "$PGB_BIN"
  rm -rf "$BUILD"
fi

# --- 3. Node.js 24 LTS from the npm registry (the host's Node 20 is end-of-life) ---
N24="$ROOT/scripts/runtime/node_modules/node/bin/node"
if [ ! -x "$N24" ] || [[ "$("$N24" -v)" != v24.* ]]; then
  log "installing Node 24 (npm package 'node')"
  (cd scripts/runtime && npm ci --no-audit --no-fund --loglevel=error)
fi
NPM_CLI=$(readlink -f "$(command -v npm)")
# npm itself runs on Node 24 from here on, so every install resolves for Node 24.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.rocker-lock; then
  log "installing npm dependencies (npm ci on Node 24)"
  "$N24" "$NPM_CLI" ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.rocker-lock
fi
# The OpenAPI client generator (openapi-typescript) needs TypeScript 5, the project TypeScript 6:
# it has its own package.json and lock in tools/openapi (npm run gen:client, test/openapi.e2e.test.ts).
if [ ! -f tools/openapi/node_modules/.package-lock.json ] || ! cmp -s tools/openapi/package-lock.json tools/openapi/node_modules/.rocker-lock; then
  log "installing the OpenAPI client generator (tools/openapi)"
  "$N24" "$NPM_CLI" ci --prefix tools/openapi --no-audit --no-fund --loglevel=error
  cp tools/openapi/package-lock.json tools/openapi/node_modules/.rocker-lock
fi
export PATH="$ROOT/node_modules/.bin:$PATH"

# --- 4. .env for development (git-ignored); existing values are kept ---
if [ ! -f .env ]; then
  log "writing .env"
  rand() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
  # a tenant-context signing key: <id>:<32 random bytes, base64> (docs/security.md#tenant-context-keys)
  ctx_key() { printf 'k%s-%s:%s' "$(date -u +%Y%m%d)" "$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(head -c 32 /dev/urandom | base64 | tr -d '\n')"; }
  cat > .env <<ENV
NODE_ENV=development
PORT=3000
DATABASE_URL=postgres://rocker_app:rocker_app@127.0.0.1:5432/rocker
DATABASE_OWNER_URL=postgres://rocker_owner:rocker_owner@127.0.0.1:5432/rocker
DATABASE_WORKER_URL=postgres://rocker_worker:rocker_worker@127.0.0.1:5432/rocker
# LISTEN and the dispatcher's claim session go direct. Behind PgBouncer (DATABASE_URL and
# DATABASE_WORKER_URL on :6432) set DATABASE_DIRECT_URL=postgres://rocker_app:rocker_app@127.0.0.1:5432/rocker;
# unset it means DATABASE_URL (never set it here while DATABASE_URL is direct: a process whose
# DATABASE_URL is overridden, e.g. a test's, would LISTEN on another database than it NOTIFYs).
PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
REDIS_URL=redis://127.0.0.1:6379/0
# a Redis Cluster instead (REDIS_URL then gives only the scheme, rediss:// = TLS, and the credentials):
# REDIS_CLUSTER_NODES=10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379
# REDIS_TLS_CA_FILE=/etc/ssl/certs/redis-ca.pem
JWT_SECRET=$(rand)
JWT_ISSUER=rocker-dev
JWT_AUDIENCE=rocker-api
METRICS_TOKEN=$(rand)
ADMIN_SESSION_SECRET=$(rand)
LOG_LEVEL=info
# embeddings: local = USE lite shipped in an npm package (offline); openai = any OpenAI-compatible API
EMBEDDINGS_PROVIDER=local
EMBEDDINGS_DIM=512
# EMBEDDINGS_BASE_URL=http://127.0.0.1:11434/v1
# EMBEDDINGS_MODEL=
# EMBEDDINGS_API_KEY=
CRAWL_ALLOW_HOSTS=
CRAWL_ALLOW_CIDRS=
CRAWL_ALLOW_PORTS=
CRAWL_CONNECT_TIMEOUT_MS=5000
CRAWL_TIMEOUT_MS=20000
CRAWL_MAX_BYTES=5242880
UPLOAD_MAX_BYTES=10485760
KNOWLEDGE_INLINE_CONTENT_BYTES=262144
PDF_MAX_PAGES=500
PDF_TIMEOUT_MS=15000
PDF_MAX_MEMORY_MB=256
PDF_TURN_MS=200
PDF_PAGE_TIMEOUT_MS=2000
OCR_MAX_PIXELS=40000000
OCR_SYNC_MAX_PIXELS=4000000
OCR_TIMEOUT_MS=30000
OCR_MAX_MEMORY_MB=512
OCR_TURN_MS=200
OCR_MAX_PAUSED=2
OCR_CONCURRENCY=2
OCR_MAX_QUEUED_PER_ORG=8
PDF_MAX_QUEUED_PER_ORG=8
PARSE_THREADS=1
PARSE_WARM_THREADS=2
PARSE_MAX_QUEUED_PER_ORG=8
PARSE_TIMEOUT_MS=60000
HTML_TURN_MS=50
HTML_MAX_PAUSED=2
# the remaining knobs, at their defaults (see docs/configuration.md for each)
WORKER_PORT=3001
SHUTDOWN_GRACE_MS=10000
ROCKER_ROLE=all
DATABASE_POOL_SIZE=10
DATABASE_POOL_TIMEOUT_MS=5000
DATABASE_MAX_QUEUED_PER_ORG=64
# auto: prepared on a direct DATABASE_URL, unnamed behind a pooler (true for PgBouncer 1.21+ with max_prepared_statements)
DATABASE_PREPARED_STATEMENTS=auto
REDIS_PREFIX=rocker
BODY_LIMIT_BYTES=1048576
ADMISSION_MAX_INFLIGHT=256
ADMISSION_MAX_LAG_MS=75
ADMISSION_MAX_UTILIZATION=0.9
ADMISSION_MAX_SLOWDOWN=2
ADMISSION_SAMPLE_MS=250
ADMISSION_ORG_CONCURRENCY=1
ADMISSION_TURN_BODY_MAX=65536
LARGE_ANSWER_BYTES_PER_S=16777216
JSON_MAX_DEPTH=32
JSON_MAX_KEYS=10000
HTTP_CONNECTION_TIMEOUT_MS=120000
HTTP_REQUEST_TIMEOUT_MS=120000
HTTP_HEADERS_TIMEOUT_MS=10000
HTTP_KEEP_ALIVE_TIMEOUT_MS=72000
HTTP_MAX_IDLE_CONNECTIONS_PER_ORG=256
HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG=33554432
HTTP_LINGER_MS=2000
# the proxies whose X-Forwarded-For is believed (behind a balancer: its addresses or CIDR)
# HTTP_TRUST_PROXY=10.0.0.0/8
EMBEDDINGS_BATCH_SIZE=16
EMBEDDINGS_BATCH_MAX_CHARS=4000
EMBEDDINGS_QUICK_MAX_CHARS=512
EMBEDDINGS_TIMEOUT_MS=30000
EMBEDDINGS_CONCURRENCY=4
EMBEDDINGS_MAX_QUEUED_PER_ORG=64
ENGINE_NICE=10
SEARCH_ORG_INDEX_MIN_CHUNKS=2000
SEARCH_ORG_INDEX_BITS_MIN_CHUNKS=50000
SEARCH_ORG_INDEX_RECALL=0.99
SEARCH_ORG_INDEX_SAMPLES=50
SEARCH_ORG_INDEX_MAX=32
SEARCH_ORG_INDEX_INTERVAL_MS=300000
SEARCH_ORG_INDEX_BUILD_MEM_MB=512
SEARCH_ORG_INDEX_BUILD_WORKERS=0
SEARCH_TEXT_CANDIDATES=1000
SEARCH_TEXT_TIMEOUT_MS=250
SEARCH_TEXT_CONCURRENCY=1
SEARCH_TEXT_BUDGET_MS=250
SEARCH_ITEM_MAX_CHUNKS=2000
RATE_LIMIT_ENABLED=true
RATE_LIMIT_REDIS_TIMEOUT_MS=250
RATE_LIMIT_REFUSAL_PACE_MS=500
LIMITS_CACHE_MS=5000
USAGE_FLUSH_MS=10000
RATE_LIMIT_AUTH_FAILURES=30
RATE_LIMIT_AUTH_WINDOW_S=60
RATE_LIMIT_PUBLIC=600
RATE_LIMIT_BAD_BODIES=10
RATE_LIMIT_BAD_BODY_WINDOW_S=60
LIMITS_MAX_STORED_CHUNKS=1000000
LIMITS_MAX_QUEUED_JOBS=10000
LIMITS_MAX_STORED_BYTES=10737418240
INVITATION_TTL_S=604800
TTS_PROVIDER=espeak
ESPEAK_BIN=espeak-ng
TTS_MODEL=tts-1
TTS_MAX_CHARS=5000
TTS_SENTENCE_FLOOR_CHARS=50
TTS_AUDIO_CHARS_PER_SECOND=10
TTS_MAX_BUFFERED_AUDIO_S=600
TTS_BUFFERED_SLOTS=8
TTS_CONCURRENCY=2
TTS_MAX_QUEUED_PER_ORG=8
TTS_TIMEOUT_MS=30000
INGEST_ORG_CONCURRENCY=4
INGEST_ORG_RATE=5
INGEST_ORG_RATE_BURST=0
INGEST_WORKER_CONCURRENCY=8
INGEST_CRAWL_CONCURRENCY=32
INGEST_MAX_ATTEMPTS=5
INGEST_BACKOFF_MS=2000
INGEST_LOCK_MS=30000
INGEST_WATCHDOG_MS=30000
INGEST_LEASE_MS=30000
INGEST_DISPATCH_WINDOW=2
INGEST_DISPATCH_INTERVAL_MS=1000
INGEST_RECONCILE_AFTER_MS=60000
INGEST_SLOT_RETRY_MS=250
TENANT_CONTEXT_KEYS=$(ctx_key)
TENANT_CONTEXT_TTL_MS=60000
# optional, unset by default: JWT_PUBLIC_KEY | JWT_JWKS_URL (production), DATABASE_OWNER_URL (set above),
# DATABASE_DIRECT_URL (behind a pooler, see above),
# EMBEDDINGS_BASE_URL/EMBEDDINGS_MODEL/EMBEDDINGS_API_KEY (EMBEDDINGS_PROVIDER=openai),
# TTS_BASE_URL/TTS_API_KEY (TTS_PROVIDER=openai), RATE_LIMIT_DEFAULTS (JSON), RATE_LIMIT_DRY_RUN (policies)
ENV
fi
# variables added since an existing .env was written: appended, never overwritten (ctx_key as above:
# the heredoc's helpers stay inside its block, which test/config-docs.test.ts runs on its own)
ctx_key() { printf 'k%s-%s:%s' "$(date -u +%Y%m%d)" "$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(head -c 32 /dev/urandom | base64 | tr -d '\n')"; }
env_default() { grep -q "^$1=" .env || { log "adding $1 to .env"; printf '%s=%s\n' "$1" "$2" >> .env; }; }
env_default DATABASE_WORKER_URL postgres://rocker_worker:rocker_worker@127.0.0.1:5432/rocker
env_default TENANT_CONTEXT_KEYS "$(ctx_key)"
env_default TENANT_CONTEXT_TTL_MS 60000

# variables added after a machine's .env was written: appended once, existing values kept
if ! grep -q '^ADMIN_SESSION_SECRET=' .env; then
  echo "ADMIN_SESSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .env
fi

# --- 5. roles and databases ---
export PGOPTIONS="-c client_min_messages=warning"
psql_admin() { psql "$PGHOST_URL_ADMIN" -v ON_ERROR_STOP=1 -qtA "$@"; }
psql_admin <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rocker_owner') THEN
    CREATE ROLE rocker_owner LOGIN PASSWORD 'rocker_owner' NOSUPERUSER NOCREATEROLE NOCREATEDB;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rocker_app') THEN
    CREATE ROLE rocker_app LOGIN PASSWORD 'rocker_app' NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOINHERIT;
  END IF;
  -- owns only auth_context(): reads users + memberships before an org is known (see migrations)
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rocker_auth') THEN
    CREATE ROLE rocker_auth NOLOGIN BYPASSRLS;
  END IF;
  -- the worker processes: the app role's grants (member of rocker_app) plus the ingest dispatcher's functions
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rocker_worker') THEN
    CREATE ROLE rocker_worker LOGIN PASSWORD 'rocker_worker' NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS INHERIT;
  END IF;
  -- owns only the ingest outbox functions and search_org_sizes(): read routing columns of every org's jobs and org ids of every org's chunks (see migrations)
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rocker_dispatch') THEN
    CREATE ROLE rocker_dispatch NOLOGIN NOBYPASSRLS;
  END IF;
END $$;
ALTER ROLE rocker_app NOSUPERUSER NOBYPASSRLS;
-- no statement, lock wait or idle transaction of the service can hold a shared connection for long
ALTER ROLE rocker_app SET statement_timeout = '15s';
ALTER ROLE rocker_app SET lock_timeout = '5s';
ALTER ROLE rocker_app SET idle_in_transaction_session_timeout = '60s';
-- one statement is one backend: no org's query takes parallel workers' cores from the others
ALTER ROLE rocker_app SET max_parallel_workers_per_gather = 0;
ALTER ROLE rocker_worker NOSUPERUSER NOBYPASSRLS INHERIT;
-- role settings are not inherited through membership: the worker gets the same bounds
ALTER ROLE rocker_worker SET statement_timeout = '15s';
ALTER ROLE rocker_worker SET lock_timeout = '5s';
ALTER ROLE rocker_worker SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE rocker_worker SET max_parallel_workers_per_gather = 0;
GRANT rocker_app TO rocker_worker;
GRANT rocker_auth TO rocker_owner;
GRANT rocker_dispatch TO rocker_owner;
SQL
for db in rocker; do
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    log "creating database $db"
    psql_admin -c "CREATE DATABASE $db OWNER rocker_owner"
  fi
  # extensions need a superuser; they are created here, and the migrations only assert them
  psql "postgres://postgres@127.0.0.1:5432/$db" -v ON_ERROR_STOP=1 -qtA -c "CREATE EXTENSION IF NOT EXISTS vector; CREATE EXTENSION IF NOT EXISTS pgcrypto;"
done
# the template for new databases carries the extensions too (tests clone from it)
psql "postgres://postgres@127.0.0.1:5432/template1" -qtA -c "CREATE EXTENSION IF NOT EXISTS vector; CREATE EXTENSION IF NOT EXISTS pgcrypto;" >/dev/null

# --- 5b. PgBouncer in transaction pooling mode on :6432 (docs/scaling.md, "Behind PgBouncer") ---
# Every database on the local server, as the connecting role (trust, as Postgres here); 20 server
# connections per database and role (idle ones closed after 30 s), up to 2000 clients. Runs as
# postgres; reloaded when the config changes.
PGB_DIR=/var/lib/rocker-pgbouncer
PGB_PORT=${PGBOUNCER_PORT:-6432}
mkdir -p "$PGB_DIR"
cat > "$PGB_DIR/pgbouncer.ini.new" <<INI
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGB_DIR/userlist.txt
pool_mode = transaction
max_prepared_statements = 1000
default_pool_size = 20
max_client_conn = 2000
server_idle_timeout = 30
ignore_startup_parameters = extra_float_digits,options,application_name
logfile = $PGB_DIR/pgbouncer.log
pidfile = $PGB_DIR/pgbouncer.pid
INI
printf '"%s" ""\n' rocker_app rocker_worker rocker_owner postgres > "$PGB_DIR/userlist.txt.new"
chown -R postgres:postgres "$PGB_DIR"
pgb_changed=0
for f in pgbouncer.ini userlist.txt; do
  if cmp -s "$PGB_DIR/$f.new" "$PGB_DIR/$f"; then rm -f "$PGB_DIR/$f.new"; else mv "$PGB_DIR/$f.new" "$PGB_DIR/$f"; pgb_changed=1; fi
done
pgb_pid=$(cat "$PGB_DIR/pgbouncer.pid" 2>/dev/null || true)
# one started by an earlier setup from another binary (Debian's 1.18) is replaced by ours
if [ -n "$pgb_pid" ] && kill -0 "$pgb_pid" 2>/dev/null && [ "$(readlink -f "/proc/$pgb_pid/exe")" != "$PGB_BIN" ]; then
  log "stopping pgbouncer $(readlink -f "/proc/$pgb_pid/exe") to start $PGB_BIN"
  kill -TERM "$pgb_pid"
  for _ in $(seq 1 100); do kill -0 "$pgb_pid" 2>/dev/null || break; sleep 0.1; done
fi
if [ -n "$pgb_pid" ] && kill -0 "$pgb_pid" 2>/dev/null; then
  if [ "$pgb_changed" = 1 ]; then
    log "reloading pgbouncer"
    kill -HUP "$pgb_pid"
  fi
else
  log "starting pgbouncer on 127.0.0.1:$PGB_PORT"
  su postgres -s /bin/bash -c "ulimit -n \$(ulimit -Hn); exec $PGB_BIN -d $PGB_DIR/pgbouncer.ini"
fi
for _ in $(seq 1 50); do
  psql "postgres://rocker_app@127.0.0.1:$PGB_PORT/rocker" -qtAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done
psql "postgres://rocker_app@127.0.0.1:$PGB_PORT/rocker" -qtAc 'SELECT 1' >/dev/null || { log "pgbouncer does not answer on :$PGB_PORT (see $PGB_DIR/pgbouncer.log)"; exit 1; }

# --- 6. build and migrate the development database ---
log "building"
npm run -s build
log "migrating"
# (then installs the tenant-context keys of .env where tenant_begin() verifies them; adds, never removes)
node dist/scripts/migrate.js up
log "ready: 'npm start' serves on :\${PORT:-3000}; 'npm test' runs every test"
