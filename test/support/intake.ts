import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Env } from '../../src/config/env.js';
import { IngestEnqueuer, type EnqueuedJob, type EnqueueOptions, type JobKind, type JobPayloads } from '../../src/modules/ingest/ingest.types.js';
import { startApp, type TestApp } from './app.js';

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

/** The whole service on a loopback port, optionally with the recording enqueuer in IngestEnqueuer's place. */
export async function startIntakeApp(env: Env, enqueuer?: RecordingEnqueuer): Promise<TestApp & { nest: NestFastifyApplication }> {
  const t = await startApp(env, {
    docs: false,
    override: enqueuer ? (b) => b.overrideProvider(IngestEnqueuer).useValue(enqueuer) : undefined,
  });
  return { ...t, nest: t.app };
}
