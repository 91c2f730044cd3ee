import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, type CreateAppOptions } from '../../src/bootstrap.js';
import type { Env } from '../../src/config/env.js';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** The whole service on a real loopback port (real HTTP), on its own database. */
export async function startApp(env: Env, opts: CreateAppOptions = {}): Promise<TestApp> {
  const app = await createApp(env, { docs: true, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
