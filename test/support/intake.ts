import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/bootstrap.js';
import type { Env } from '../../src/config/env.js';
import { IngestEnqueuer, type EnqueuedJob, type EnqueueOptions, type JobKind, type JobPayloads } from '../../src/modules/ingest/ingest.types.js';
import type { TestApp } from './app.js';

/**
 * Stands in for the ingest pipeline's IngestEnqueuer (built on another branch): records what
 * features enqueue, in their transaction, so tests can run the handlers by hand.
 */
export interface RecordedJob<K extends JobKind = JobKind> {
  id: string;
  kind: K;
  payload: JobPayloads[K];
  opts?: EnqueueOptions;
}

export class RecordingEnqueuer extends IngestEnqueuer {
  readonly jobs: RecordedJob[] = [];
  async enqueue<K extends JobKind>(kind: K, payload: JobPayloads[K], opts?: EnqueueOptions): Promise<EnqueuedJob> {
    const id = randomUUID();
    this.jobs.push({ id, kind, payload, opts } as RecordedJob);
    return { id, kind, status: 'queued' };
  }
}

export function fakeIngestModule(enqueuer: RecordingEnqueuer) {
  @Global()
  @Module({ providers: [{ provide: IngestEnqueuer, useValue: enqueuer }], exports: [IngestEnqueuer] })
  class FakeIngestModule {}
  return FakeIngestModule;
}

/** The whole service on a loopback port, optionally with the recording enqueuer. */
export async function startIntakeApp(env: Env, enqueuer?: RecordingEnqueuer): Promise<TestApp & { nest: NestFastifyApplication }> {
  const app = await createApp(env, { docs: false, extraModules: enqueuer ? [fakeIngestModule(enqueuer)] : [] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { app, nest: app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
