import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { installAccessLog } from './common/http/access-log.js';
import multipart from '@fastify/multipart';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RedisClient } from './redis/redis.factory.js';
import { REDIS } from './redis/redis.module.js';
import { AppModule } from './app.module.js';
import { trustedProxies, type Env } from './config/env.js';
import { requestIdFor } from './common/request-id.js';
import { clientErrorResponse, sendProblem } from './common/filters/problem.filter.js';
import { AdmissionGuard } from './common/guards/admission.guard.js';
import { Admission } from './common/admission/admission.js';
import { installJsonBodyLimits } from './common/http/json-body.js';
import { installMethodNotAllowed } from './common/http/method-not-allowed.js';
import { installEarlyGuards, tagRouteTargets } from './common/http/early-guards.js';
import { installPublicLimit } from './modules/limits/public-limit.js';
import { installCloseUnused } from './common/http/close-unused.js';
import { installIdleCap } from './common/http/idle-cap.js';
import { installLingeringClose } from './common/http/lingering-close.js';
import { TenantGuard } from './common/guards/tenant.guard.js';
import { RolesGuard } from './common/guards/roles.guard.js';
import { SuperAdminGuard } from './common/guards/super-admin.guard.js';
import { RateLimitGuard } from './modules/limits/rate-limit.guard.js';
import { AuthFailureLimiter } from './modules/limits/auth-failure.limiter.js';
import { BodyRefusalLimiter } from './modules/limits/body-refusal.limiter.js';
import { installHttpMetrics } from './modules/metrics/http-metrics.js';
import { documentProblemResponses } from './common/openapi/problem-responses.js';
import { serveMetrics } from './modules/metrics/metrics-server.js';

export interface AppOptions {
  /** Serve the OpenAPI document and UI at /docs (default true). */
  docs?: boolean;
}

/** What Nest is told when it creates the HTTP application (production and the tests' testing modules alike). */
export const NEST_APP_OPTIONS = {
  bufferLogs: true,
  bodyParser: false, // Fastify's JSON parser, behind the shape check in configureApp (installJsonBodyLimits)
} as const;

/** The Fastify adapter the API runs on: body limit, request ids, problem+json for the router's own refusals. */
export function createAdapter(env: Env): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      (req as IncomingMessage & { id: string }).id = id;
      return id;
    },
    logger: false,
    // X-Forwarded-For only from the proxies HTTP_TRUST_PROXY names (validated at load)
    trustProxy: trustedProxies(env.HTTP_TRUST_PROXY ?? '') ?? false,
    // A silent connection, a slow request and a slowloris (headers never finished) are all bounded.
    connectionTimeout: env.HTTP_CONNECTION_TIMEOUT_MS,
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: env.HTTP_HEADERS_TIMEOUT_MS,
      // Node checks both bounds on this interval (30 s by default): a quarter of the headers bound
      connectionsCheckingInterval: Math.min(5000, Math.max(100, Math.floor(env.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
    // The router's refusals (a path segment too long, a malformed URL) skip the hooks and Nest.
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => {
      reply.header('x-request-id', req.id);
      sendProblem(reply, req, err);
    },
    clientErrorHandler: (err, socket) => {
      if ((err as { code?: string }).code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(err as { code?: string }));
      socket.destroy(err);
    },
  });
}

/**
 * Everything the API needs around its module graph: logger, uploads, shutdown hooks, the request id
 * and metrics hooks, the JSON shape check, the early guards (before the body is read), the OpenAPI
 * document; then init. One step for main, the benchmarks and the tests (which create `app` from a
 * testing module, with their overrides).
 */
export async function configureApp(app: NestFastifyApplication, env: Env, opts: AppOptions = {}): Promise<NestFastifyApplication> {
  // NestFactory.create has done this already; an app from a testing module has not. Done first on
  // both paths, so Nest's middleware (the CLS context) runs before the hooks added below.
  await app.getHttpAdapter().init?.();
  app.useLogger(app.get(Logger));
  // Uploads (POST /v1/knowledge/upload, /v1/ocr): one file, capped; handlers read it as a stream.
  await app.register(multipart as never, {
    limits: { fileSize: env.UPLOAD_MAX_BYTES, files: 1, fields: 4, fieldSize: 1024, parts: 5, headerPairs: 50 },
  });
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  // A refused upload is read to its end (bounded) so its client reads the answer, unless the instance is saturated.
  const admissionState = app.get(Admission);
  installLingeringClose(fastify.server, env.HTTP_LINGER_MS, () => !admissionState.loopSaturated());
  // At shutdown a connection that never sent a request does not hold the close until its keep-alive timeout.
  installCloseUnused(fastify);
  // An org's idle connections past its caps are reset, dropping any answer left unread in the kernel.
  installIdleCap(fastify, {
    maxCount: env.HTTP_MAX_IDLE_CONNECTIONS_PER_ORG,
    maxBytes: env.HTTP_MAX_IDLE_ANSWER_BYTES_PER_ORG,
  });
  fastify.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  installHttpMetrics(fastify);
  installAccessLog(fastify);
  // What no one is billed for (public routes, docs, the board, unknown paths): per client address.
  installPublicLimit(fastify, env.RATE_LIMIT_ENABLED ? env.RATE_LIMIT_PUBLIC : 0);
  // A path that exists under other methods: 405 with Allow (after the per-address limit of unknown paths).
  installMethodNotAllowed(fastify);
  installJsonBodyLimits(fastify, { maxDepth: env.JSON_MAX_DEPTH, maxKeys: env.JSON_MAX_KEYS });
  // Authentication, org, roles and the limiter before the body is read; the guards reuse the result.
  tagRouteTargets(app);
  const [tenant, roles, superAdmin, admission, limiter] = [TenantGuard, RolesGuard, SuperAdminGuard, AdmissionGuard, RateLimitGuard].map((g) =>
    app.get(g),
  ) as [TenantGuard, RolesGuard, SuperAdminGuard, AdmissionGuard, RateLimitGuard];
  const authFailures = app.get(AuthFailureLimiter);
  const bodies = app.get(BodyRefusalLimiter);
  bodies.watch(fastify);
  installEarlyGuards(fastify, {
    checks: [
      (c) => tenant.resolve(c),
      (c) => roles.canActivate(c),
      (c) => superAdmin.canActivate(c),
      (c) => bodies.check(c),
      (c) => limiter.hold(c),
      (c) => admission.canActivate(c),
      (c) => admission.awaitTurn(c),
      (c) => limiter.early(c),
    ],
    onUnauthorized: (ip) => authFailures.refuse(ip),
    // a large JSON body takes its org's turn once read: a slow client's upload holds no turn
    afterBody: [(c) => admission.awaitTurn(c, 'body')],
  });

  if (opts.docs !== false) {
    const config = new DocumentBuilder()
      .setTitle('rocker-platform')
      .setDescription('Multi-tenant API of Rocker. Errors are RFC 9457 application/problem+json.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addGlobalParameters({ name: 'X-Org-Id', in: 'header', required: false, schema: { type: 'string', format: 'uuid' } })
      .build();
    const doc = documentProblemResponses(SwaggerModule.createDocument(app, config));
    SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });
  }
  await initOrClose(app);
  return app;
}

/** Builds the HTTP API (not yet listening). Used by main and the benchmarks' servers. */
export async function createApp(env: Env, opts: AppOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env), createAdapter(env), {
    ...NEST_APP_OPTIONS,
    abortOnError: false,
  });
  return configureApp(app, env, opts);
}

/** A boot check that fails (e.g. the LISTEN self-test) closes what init opened, then rethrows. */
async function initOrClose(app: INestApplicationContext): Promise<void> {
  try {
    await app.init();
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
}

/**
 * The process's exit bound: SHUTDOWN_GRACE_MS after SIGTERM/SIGINT it exits whatever still runs
 * (Nest's shutdown hooks, installed by enableShutdownHooks, normally finish well before: running
 * jobs are handed back). Keep it within the deployment's termination grace. For process entry
 * points only (never in a test runner).
 */
export function exitWithin(env: Env): void {
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      setTimeout(() => {
        process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), msg: 'shutdown grace over: exiting now', grace_ms: env.SHUTDOWN_GRACE_MS })}\n`);
        process.exit(1);
      }, Math.max(1000, env.SHUTDOWN_GRACE_MS - 250)).unref();
    });
}

export interface WorkerProcess {
  app: INestApplicationContext;
  /** The health/metrics port actually bound (WORKER_PORT; 0 picks a free one). */
  port: number;
  close(): Promise<void>;
}

/** The environment of a worker process: the caller's, with ROCKER_ROLE=worker. */
export function workerEnv(env: Env): Env {
  return Object.assign(Object.create(Object.getPrototypeOf(env)), env, { ROCKER_ROLE: 'worker' }) as Env;
}

/**
 * The worker process: the same module graph as the API (so every feature's @JobHandler providers
 * are discovered) as an application context, i.e. with no HTTP routes; only a small health and
 * metrics listener on WORKER_PORT.
 */
export async function createWorker(env: Env): Promise<WorkerProcess> {
  const wenv = workerEnv(env);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(wenv), {
    bufferLogs: true,
    abortOnError: false,
  });
  return serveWorker(app, wenv);
}

/**
 * Runs a worker's application context (built from AppModule.forRoot(workerEnv(env)), by
 * createWorker or by a testing module): logger, shutdown hooks and exit bound, init (the
 * dispatcher and the BullMQ workers start), and the health/metrics listener.
 */
export async function serveWorker(app: INestApplicationContext, env: Env): Promise<WorkerProcess> {
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  exitWithin(env);
  await initOrClose(app);

  const ds = app.get(DataSource);
  const redis = app.get<RedisClient>(REDIS);
  const within = <T>(p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
  // The same bearer-token /metrics and health probes as any process without the HTTP API.
  const http = await serveMetrics({
    port: env.WORKER_PORT,
    token: env.METRICS_TOKEN,
    ready: async () => {
      await Promise.all([within(ds.query('SELECT 1')), within(redis.ping())]);
      return true;
    },
  });
  const port = http.port;
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await http.close();
      await app.close();
    })());
  // app.enableShutdownHooks closes Nest on SIGTERM; the health port goes with it.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void http.close());
  return { app, port, close };
}
