import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import multipart from '@fastify/multipart';
import type { IncomingMessage } from 'node:http';
import type { DynamicModule } from '@nestjs/common';
import { AppModule } from './app.module.js';
import type { Env } from './config/env.js';
import { requestIdFor } from './common/request-id.js';
import { installHttpMetrics } from './modules/metrics/http-metrics.js';

export interface CreateAppOptions {
  extraModules?: DynamicModule['imports'];
  docs?: boolean;
}

/** Builds the HTTP API (not yet listening). Used by main, the tests and the benchmarks. */
export async function createApp(env: Env, opts: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      (req as IncomingMessage & { id: string }).id = id;
      return id;
    },
    logger: false,
    trustProxy: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(env, opts.extraModules ?? []), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  // Uploads (POST /v1/knowledge/upload, /v1/ocr): one file, capped; handlers read it as a stream.
  await app.register(multipart as never, {
    limits: { fileSize: env.UPLOAD_MAX_BYTES, files: 1, fields: 4, fieldSize: 1024, parts: 5, headerPairs: 50 },
  });
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  installHttpMetrics(fastify);

  if (opts.docs !== false) {
    const config = new DocumentBuilder()
      .setTitle('rocker-platform')
      .setDescription('Multi-tenant API of Rocker. Errors are RFC 9457 application/problem+json.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addGlobalParameters({ name: 'X-Org-Id', in: 'header', required: false, schema: { type: 'string', format: 'uuid' } })
      .build();
    const doc = SwaggerModule.createDocument(app, config);
    SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });
  }
  await app.init();
  return app;
}
