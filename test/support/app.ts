import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import {
  configureApp,
  createAdapter,
  NEST_APP_OPTIONS,
  serveWorker,
  workerEnv,
  type AppOptions,
  type WorkerProcess,
} from '../../src/bootstrap.js';
import type { Env } from '../../src/config/env.js';

export interface TestAppOptions extends AppOptions {
  /** Test-only modules beside the app (e.g. a controller with routes the suite needs). */
  imports?: ModuleMetadata['imports'];
  /** Nest's testing overrides (overrideProvider, overrideModule, …), applied before compile. */
  override?: (b: TestingModuleBuilder) => TestingModuleBuilder;
}

/** The service's module graph (AppModule.forRoot(env)) in a testing module, with the suite's doubles. */
export async function testingModule(env: Env, opts: Pick<TestAppOptions, 'imports' | 'override'> = {}): Promise<TestingModule> {
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(env), ...(opts.imports ?? [])] });
  return (opts.override?.(builder) ?? builder).compile();
}

/** The HTTP API as production builds it (createAdapter + configureApp), from a testing module; not yet listening. */
export async function buildApp(env: Env, opts: TestAppOptions = {}): Promise<NestFastifyApplication> {
  const moduleRef = await testingModule(env, opts);
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(env), NEST_APP_OPTIONS);
  return configureApp(app, env, { docs: opts.docs });
}

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** The whole service on a real loopback port (real HTTP), on its own database. */
export async function startApp(env: Env, opts: TestAppOptions = {}): Promise<TestApp> {
  const app = await buildApp(env, { docs: true, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** A worker process's application as production runs it (serveWorker), from a testing module. */
export async function startWorker(env: Env, opts: Pick<TestAppOptions, 'imports' | 'override'> = {}): Promise<WorkerProcess> {
  const wenv = workerEnv(env);
  return serveWorker(await testingModule(wenv, opts), wenv);
}
