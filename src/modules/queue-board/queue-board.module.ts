import { Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { HTTPStatus } from '@bull-board/api/dist/types.js';
import { FastifyAdapter as BoardFastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { AuthConfig, RedisConfig } from '../../config/slices.js';
import { RedisFactory, type RedisClient } from '../../redis/redis.factory.js';
import { Authenticator } from '../../tenancy/authenticator.js';
import { JobKind, queueNameOf } from '../ingest/ingest.types.js';
import { bullPrefix } from '../ingest/queue.config.js';
import { ProblemException } from '../../common/filters/problem.js';
import { sendProblem, toProblem } from '../../common/filters/problem.filter.js';
import { superAdminHook } from './board-auth.js';
import { AdminSessions } from './admin-session.js';
import { registerAdminLogin } from './admin-login.js';
import { AuthFailureLimiter } from '../limits/auth-failure.limiter.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues, super_admins only, read-only. It is a Fastify plugin (UI, JSON API,
 * static assets), not a Nest controller, so the global guards do not see it: a Fastify onRequest
 * hook in the board's own encapsulated scope runs the same JWT + auth_context check on every route
 * of the board, assets included (a Bearer token, or the session cookie a super_admin gets by signing
 * in at /admin/login, see admin-login.ts). Queue handles are read-only views of the ingest queues (same names,
 * same BullMQ prefixes, see bullPrefix); they never add or process jobs.
 */
@Module({})
export class QueueBoardModule implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(QueueBoardModule.name);
  private connection?: RedisClient;
  private queues: Queue[] = [];

  constructor(
    @Inject(RedisConfig) private readonly redisConfig: RedisConfig,
    private readonly redisFactory: RedisFactory,
    @Inject(AuthConfig) private readonly authConfig: AuthConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: Authenticator,
    private readonly failures: AuthFailureLimiter,
  ) {}

  onModuleInit(): void {
    const http = this.adapterHost.httpAdapter;
    if (!http || http.getType() !== 'fastify') return; // no HTTP listener (application context)
    this.connection = this.redisFactory.create('queue-board', 'queue');
    this.queues = Object.values(JobKind).map((kind) => {
      const q = new Queue(queueNameOf(kind), { connection: this.connection!, prefix: bullPrefix(this.redisConfig, kind) });
      q.on('error', () => undefined); // reported by rocker_redis_up; the board answers 503 meanwhile
      return q;
    });
    const serverAdapter = new BoardFastifyAdapter();
    serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({
      queues: this.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'rocker queues' } },
    });
    // Errors inside the board's JSON API: 503 while Redis is unreachable, else the usual mapping
    // (which logs and hides internals). Replaces Bull Board's default, which answers 500 with the message.
    serverAdapter.setErrorHandler((err: Error) => {
      const { status, body } = this.redisReady() ? toProblem(err, undefined, undefined) : toProblem(unavailable(), undefined, undefined);
      return { status: status as HTTPStatus, body }; // their type omits 503; Fastify sends any code
    });
    const fastify = http.getInstance<FastifyInstance>();
    const sessions = AdminSessions.fromSecrets(this.authConfig.adminSessionSecret, this.authConfig.secret);
    const guard = superAdminHook(this.authenticator, sessions, this.failures);
    void fastify.register(async (scope) => registerAdminLogin(scope, this.authenticator, sessions, this.failures), {
      prefix: '/admin',
    });
    void fastify.register(
      async (scope) => {
        scope.addHook('onRequest', guard);
        // The JSON API needs Redis: answer 503 at once rather than waiting on a dead connection.
        scope.addHook('preHandler', async (req, reply) => {
          if (req.url.startsWith(`${QUEUE_BOARD_PATH}/api/`) && !this.redisReady()) {
            sendProblem(reply, req, unavailable());
            return reply;
          }
        });
        scope.addHook('onSend', async (_req, reply, payload) => {
          if (reply.statusCode >= 400) reply.header('content-type', 'application/problem+json; charset=utf-8');
          return payload;
        });
        await scope.register(serverAdapter.registerPlugin() as never);
      },
      { prefix: QUEUE_BOARD_PATH },
    );
    this.log.log(`queue board mounted at ${QUEUE_BOARD_PATH} (super_admin only, read-only)`);
  }

  private redisReady(): boolean {
    return this.connection?.status === 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.queues.map((q) => q.close()));
    this.connection?.disconnect();
  }
}

const unavailable = () =>
  new ProblemException(503, 'unavailable', 'the queue backend (Redis) is unreachable; retry shortly', {}, { 'Retry-After': '5' });
