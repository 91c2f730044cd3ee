var __decorate = (this && this.__decorate) || function (decorators, target, key, desc) {
    var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
    if (typeof Reflect === "object" && typeof Reflect.decorate === "function") r = Reflect.decorate(decorators, target, key, desc);
    else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
    return c > 3 && r && Object.defineProperty(target, key, r), r;
};
var __metadata = (this && this.__metadata) || function (k, v) {
    if (typeof Reflect === "object" && typeof Reflect.metadata === "function") return Reflect.metadata(k, v);
};
var __param = (this && this.__param) || function (paramIndex, decorator) {
    return function (target, key) { decorator(target, key, paramIndex); }
};
var QueueBoardModule_1;
import { Inject, Logger, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardFastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import { AuthConfig, RedisConfig } from '../../config/slices.js';
import { RedisFactory } from '../../redis/redis.factory.js';
import { Authenticator } from '../../tenancy/authenticator.js';
import { JobKind, queueNameOf } from '../ingest/ingest.types.js';
import { bullPrefix } from '../ingest/queue.config.js';
import { ProblemException } from '../../common/filters/problem.js';
import { sendProblem, toProblem } from '../../common/filters/problem.filter.js';
import { superAdminHook } from './board-auth.js';
import { AdminSessions } from './admin-session.js';
import { registerAdminLogin } from './admin-login.js';
export const QUEUE_BOARD_PATH = '/admin/queues';
/**
 * Bull Board at /admin/queues, super_admins only, read-only. It is a Fastify plugin (UI, JSON API,
 * static assets), not a Nest controller, so the global guards do not see it: a Fastify onRequest
 * hook in the board's own encapsulated scope runs the same JWT + auth_context check on every route
 * of the board, assets included (a Bearer token, or the session cookie a super_admin gets by signing
 * in at /admin/login, see admin-login.ts). Queue handles are read-only views of the ingest queues (same names,
 * same BullMQ prefixes, see bullPrefix); they never add or process jobs.
 */
let QueueBoardModule = QueueBoardModule_1 = class QueueBoardModule {
    constructor(redisConfig, redisFactory, authConfig, adapterHost, authenticator) {
        this.redisConfig = redisConfig;
        this.redisFactory = redisFactory;
        this.authConfig = authConfig;
        this.adapterHost = adapterHost;
        this.authenticator = authenticator;
        this.log = new Logger(QueueBoardModule_1.name);
        this.queues = [];
    }
    onModuleInit() {
        const http = this.adapterHost.httpAdapter;
        if (!http || http.getType() !== 'fastify')
            return; // no HTTP listener (application context)
        this.connection = this.redisFactory.create('queue-board', 'queue');
        this.queues = Object.values(JobKind).map((kind) => {
            const q = new Queue(queueNameOf(kind), { connection: this.connection, prefix: bullPrefix(this.redisConfig, kind) });
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
        serverAdapter.setErrorHandler((err) => {
            const { status, body } = this.redisReady() ? toProblem(err, undefined, undefined) : toProblem(unavailable(), undefined, undefined);
            return { status: status, body }; // their type omits 503; Fastify sends any code
        });
        const fastify = http.getInstance();
        const sessions = AdminSessions.fromSecrets(this.authConfig.adminSessionSecret, this.authConfig.secret);
        const guard = superAdminHook(this.authenticator, sessions);
        void fastify.register(async (scope) => registerAdminLogin(scope, this.authenticator, sessions), { prefix: '/admin' });
        void fastify.register(async (scope) => {
            scope.addHook('onRequest', guard);
            // The JSON API needs Redis: answer 503 at once rather than waiting on a dead connection.
            scope.addHook('preHandler', async (req, reply) => {
                if (req.url.startsWith(`${QUEUE_BOARD_PATH}/api/`) && !this.redisReady()) {
                    sendProblem(reply, req, unavailable());
                    return reply;
                }
            });
            scope.addHook('onSend', async (_req, reply, payload) => {
                if (reply.statusCode >= 400)
                    reply.header('content-type', 'application/problem+json; charset=utf-8');
                return payload;
            });
            await scope.register(serverAdapter.registerPlugin());
        }, { prefix: QUEUE_BOARD_PATH });
        this.log.log(`queue board mounted at ${QUEUE_BOARD_PATH} (super_admin only, read-only)`);
    }
    redisReady() {
        return this.connection?.status === 'ready';
    }
    async onApplicationShutdown() {
        await Promise.allSettled(this.queues.map((q) => q.close()));
        this.connection?.disconnect();
    }
};
QueueBoardModule = QueueBoardModule_1 = __decorate([
    Module({}),
    __param(0, Inject(RedisConfig)),
    __param(2, Inject(AuthConfig)),
    __metadata("design:paramtypes", [RedisConfig,
        RedisFactory,
        AuthConfig,
        HttpAdapterHost,
        Authenticator])
], QueueBoardModule);
export { QueueBoardModule };
const unavailable = () => new ProblemException(503, 'unavailable', 'the queue backend (Redis) is unreachable; retry shortly', {}, { 'Retry-After': '5' });
//# sourceMappingURL=queue-board.module.js.map