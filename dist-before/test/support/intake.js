import { randomUUID } from 'node:crypto';
import { IngestEnqueuer } from '../../src/modules/ingest/ingest.types.js';
import { startApp } from './app.js';
export class RecordingEnqueuer extends IngestEnqueuer {
    constructor() {
        super(...arguments);
        this.jobs = [];
    }
    async enqueue(kind, payload, opts) {
        const id = randomUUID();
        this.jobs.push({ id, kind, payload, opts });
        return { id, kind, status: 'queued' };
    }
}
/** The whole service on a loopback port, optionally with the recording enqueuer in IngestEnqueuer's place. */
export async function startIntakeApp(env, enqueuer) {
    const t = await startApp(env, {
        docs: false,
        override: enqueuer ? (b) => b.overrideProvider(IngestEnqueuer).useValue(enqueuer) : undefined,
    });
    return { ...t, nest: t.app };
}
//# sourceMappingURL=intake.js.map