# syntax=docker/dockerfile:1.7
# rocker-platform: one image, three roles (api, worker, migrate) chosen by the command.
#
# Base image: node:24-bookworm-slim (Node 24 LTS on Debian 12). Debian rather than Alpine because
# the local TTS and OCR engines (espeak-ng, tesseract-ocr) come from Debian packages and native
# modules get glibc; slim keeps it small. Pin by digest in production (node:24-bookworm-slim@sha256:...).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- 1. all dependencies (dev included) to build ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error

# --- 2. compile TypeScript to dist/ ---
FROM deps AS build
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
COPY scripts ./scripts
RUN npx tsc -p tsconfig.build.json

# --- 3. production dependencies only ---
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- 4. runtime: non-root, local engines, no compilers, no npm cache ---
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng tesseract-ocr tesseract-ocr-eng tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    WORKER_PORT=3001
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The code is owned by root and read-only for the service; it runs as the image's unprivileged "node" user (uid 1000).
USER node
EXPOSE 3000 3001
# Liveness only (no dependency check: a restart would not fix the database). The worker answers
# /health/live on WORKER_PORT; set HEALTH_PORT to probe it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# api: this default; worker: ["node", "--max-semi-space-size=32", "dist/src/worker.js"]; migrations: ["node", "dist/scripts/migrate.js", "up"].
# The flags are src/config/node-flags.ts's (src/config/node-flags.spec.ts keeps them the same).
CMD ["node", "--max-semi-space-size=32", "dist/src/main.js"]
