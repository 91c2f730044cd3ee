import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, Reflector } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { ClsServiceManager } from 'nestjs-cls';
import { actorRole, TENANT_KEY, type TenantContext } from './tenancy/tenant-context.js';
import { ConfigModule } from './config/config.module.js';
import type { Env } from './config/env.js';
import { DatabaseModule } from './database/database.module.js';
import { TenancyModule } from './tenancy/tenancy.module.js';
import { RedisModule } from './redis/redis.module.js';
import { ProblemFilter } from './common/filters/problem.filter.js';
import { validationExceptionFactory } from './common/pipes/validation.js';
import { TenantGuard } from './common/guards/tenant.guard.js';
import { RolesGuard } from './common/guards/roles.guard.js';
import { SuperAdminGuard } from './common/guards/super-admin.guard.js';
import { TenantContextInterceptor } from './common/interceptors/tenant-context.interceptor.js';
import { HealthModule } from './modules/health/health.module.js';
import { OrgModule } from './modules/org/org.module.js';
import { ThreadsModule } from './modules/threads/threads.module.js';
import { IntakeModule } from './modules/intake/intake.module.js';
import { KnowledgeModule } from './modules/knowledge/knowledge.module.js';
import { FlagsModule } from './modules/flags/flags.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { QueueBoardModule } from './modules/queue-board/queue-board.module.js';
import { EmbeddingsModule } from './modules/embeddings/embeddings.module.js';
import { SearchModule } from './modules/search/search.module.js';
import { MarketModule } from './modules/market/market.module.js';
import { LimitsModule } from './modules/limits/limits.module.js';
import { RateLimitGuard } from './modules/limits/rate-limit.guard.js';
import { AdmissionGuard } from './common/guards/admission.guard.js';
import { AdmissionModule } from './common/admission/admission.module.js';
import { TtsModule } from './modules/tts/tts.module.js';
import { IngestModule } from './modules/ingest/ingest.module.js';
import { IngestWorkerModule } from './modules/ingest/ingest-worker.module.js';
import { SearchWorkerModule } from './modules/search/search-worker.module.js';
import { ProcessModule } from './common/process/process.module.js';
import { routeMetadata } from './common/decorators/route-metadata.js';

/**
 * request_id, org_id, user_id and actor_role on every line written inside a request or a job, each
 * once. pino writes a logger's bindings and the line's own fields side by side without merging
 * them, so a field the logger already binds (a child logger's bindings) is
 * neither added here nor kept from the caller's object (e.g. `log.error({ err, request_id })`).
 */
export function tenantLogFields(
  mergeObject: object,
  _level?: number,
  logger?: { bindings(): Record<string, unknown> },
): Record<string, unknown> {
  const bound = logger?.bindings() ?? {};
  for (const k of Object.keys(mergeObject))
    if (k in bound) delete (mergeObject as Record<string, unknown>)[k];
  if ('res' in mergeObject) return {}; // the access log line carries them itself (installAccessLog)
  const cls = ClsServiceManager.getClsService();
  if (!cls?.isActive()) return {};
  const t = cls.get<TenantContext | undefined>(TENANT_KEY);
  const fields: Record<string, unknown> = t
    ? { request_id: t.requestId, org_id: t.orgId, user_id: t.userId, actor_role: actorRole(t) }
    : { request_id: cls.getId() || undefined };
  for (const k of Object.keys(fields)) if (k in bound) delete fields[k];
  return fields;
}

/**
 * Where log lines go: stdout, written asynchronously (sonic-boom off the event loop: lines that
 * arrive while a write is in flight leave together in the next one, instead of one blocking write
 * per line). pino flushes it synchronously when the process exits; a SIGKILL loses at most the
 * lines of the write in flight. One per process (nestjs-pino keeps the first root logger built).
 */
let stdoutDestination: pino.DestinationStream | undefined;
function logDestination(): pino.DestinationStream {
  return (stdoutDestination ??= pino.destination({ dest: 1, sync: false }));
}

export function loggerModule(env: Env) {
  return LoggerModule.forRoot({
    // No request middleware: the access line comes from a Fastify hook (common/http/access-log.ts),
    // request fields from the CLS context (tenantLogFields). pinoHttp's options build the root logger.
    forRoutes: [],
    pinoHttp: [
      {
        level: env.LOG_LEVEL,
        mixin: tenantLogFields,
        // The access line's `res` is its own { statusCode }: pino-http's standard serializer, which
        // runs first, reads a ServerResponse and writes null for an object without `headersSent`.
        serializers: { res: (r: { raw?: { statusCode?: unknown } }) => ({ statusCode: r.raw?.statusCode ?? null }) },
        // Tokens, keys and cookies never reach a log line.
        redact: {
          paths: [
            'req.headers.authorization',
            'req.headers.cookie',
            'req.headers["x-api-key"]',
            'res.headers["set-cookie"]',
          ],
          censor: '[redacted]',
        },
      },
      logDestination(),
    ],
  });
}

/** The HTTP API (and, unless ROCKER_ROLE=api, the ingest workers): every route passes TenantGuard → RolesGuard → SuperAdminGuard → tenant transaction. */
@Module({})
export class AppModule {
  static forRoot(env: Env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        loggerModule(env),
        DatabaseModule,
        RedisModule,
        ProcessModule,
        AdmissionModule,
        TenancyModule,
        HealthModule,
        OrgModule,
        ThreadsModule,
        // Before KnowledgeModule: its POST /v1/knowledge/upload comes before the `:id` routes.
        IntakeModule,
        KnowledgeModule,
        FlagsModule,
        MetricsModule,
        QueueBoardModule,
        EmbeddingsModule,
        SearchModule,
        MarketModule,
        LimitsModule,
        TtsModule,
        IngestModule,
        // Dispatcher + BullMQ workers, and the per-org search index pass, where this process runs
        // workers (ROCKER_ROLE all | worker).
        ...(env.ROCKER_ROLE === 'api' ? [] : [IngestWorkerModule, SearchWorkerModule]),
      ],
      providers: [
        // the guards and the interceptor below read route metadata on every request: memoised
        { provide: Reflector, useValue: routeMetadata },
        // The same instances run first in the onRequest hook, before the body is read (bootstrap.ts).
        TenantGuard,
        RolesGuard,
        SuperAdminGuard,
        AdmissionGuard,
        { provide: APP_GUARD, useExisting: TenantGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
        { provide: APP_GUARD, useExisting: SuperAdminGuard },
        // before the limiter's decision: a request shed on a saturated instance costs no Redis call
        // (the paced hold, which reads only this instance's memo, comes before it: RateLimitGuard.hold)
        { provide: APP_GUARD, useExisting: AdmissionGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard }, // needs request.tenant from TenantGuard
        { provide: APP_INTERCEPTOR, useClass: TenantContextInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            exceptionFactory: validationExceptionFactory,
          }),
        },
      ],
    };
  }
}
