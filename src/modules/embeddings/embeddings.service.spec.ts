import { describe, expect, it } from 'vitest';
import type { ClsService } from 'nestjs-cls';
import { loadEnv } from '../../config/env.js';
import { EmbeddingsConfig } from '../../config/slices.js';
import { WorkClass } from '../../common/fair/fair-scheduler.js';
import { TENANT_KEY, type TenantContext } from '../../tenancy/tenant-context.js';
import { EmbeddingProvider, type EmbeddingResult } from './embedding-provider.js';
import { EmbeddingsService } from './embeddings.service.js';

const config = (extra: Record<string, string> = {}) =>
  EmbeddingsConfig.from(
    loadEnv(
      {
        DATABASE_URL: 'postgres://x@h/d',
        DATABASE_WORKER_URL: 'postgres://x@h/d',
        TENANT_CONTEXT_KEYS: `k1:${'A'.repeat(43)}`,
        REDIS_URL: 'redis://h',
        JWT_SECRET: 'x'.repeat(32),
        METRICS_TOKEN: 'x'.repeat(16),
        EMBEDDINGS_QUICK_MAX_CHARS: '64',
        ...extra,
      },
      '/nonexistent',
    ),
  );

/**
 * A model that answers only when told to (`release`), like one busy with a long batch; each lane a
 * provider of its own, as the local model's second thread is. Records which lane ran which text.
 */
class HeldModel extends EmbeddingProvider {
  readonly kind = 'local' as const;
  readonly model = 'held';
  readonly dimension = 2;
  readonly ran: string[] = [];
  private readonly waiting: (() => void)[] = [];
  private lane?: HeldModel;

  constructor(private readonly name = 'first') {
    super();
  }

  override quickLane(): HeldModel {
    return (this.lane ??= new HeldModel('quick'));
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    await new Promise<void>((r) => this.waiting.push(r));
    this.ran.push(...texts.map((t) => `${this.name}:${t}`));
    return { vectors: texts.map(() => [1, 0]), tokens: texts.length };
  }

  /** Lets the batch it is holding (the oldest) finish. */
  release(): void {
    this.waiting.shift()?.();
  }

  get holding(): number {
    return this.waiting.length;
  }
}

/** The service as one org's caller sees it (the org is read from the request context). */
function serviceFor(model: HeldModel, extra?: Record<string, string>) {
  let org = 'org-a';
  const cls = {
    isActive: () => true,
    get: (key: string) => (key === TENANT_KEY ? ({ orgId: org } as TenantContext) : undefined),
  } as unknown as ClsService;
  const svc = new EmbeddingsService(model, config(extra), cls);
  return { svc, as: (o: string) => (org = o) };
}

/** Settles pending promise callbacks (the schedulers hand slots over in microtasks). */
const turn = () => new Promise<void>((r) => setImmediate(r));
const LONG = 'x'.repeat(3000);

describe(EmbeddingsService.name, () => {
  it("a request's short batch runs on the quick lane while another org's long batch holds the model", async () => {
    const model = new HeldModel();
    const { svc, as } = serviceFor(model);
    as('org-a');
    const long = svc.embed([LONG]);
    await turn();
    expect(model.holding).toBe(1);
    as('org-b');
    const query = svc.embed(['granite']);
    await turn();
    const quick = model.quickLane();
    expect(quick.holding).toBe(1); // started at once, beside the long batch
    quick.release();
    await expect(query).resolves.toMatchObject({ vectors: [[1, 0]] });
    expect(quick.ran).toEqual(['quick:granite']);
    expect(model.ran).toEqual([]); // the long batch is still running
    model.release();
    await long;
    expect(model.ran).toEqual([`first:${LONG}`]);
  });

  it('job work takes the first lane whatever its size, and so does a request batch over EMBEDDINGS_QUICK_MAX_CHARS', async () => {
    const model = new HeldModel();
    const { svc, as } = serviceFor(model);
    as('org-a');
    const long = svc.embed([LONG]);
    as('org-b');
    const job = svc.embed(['short chunk'], { cls: WorkClass.Job });
    const wide = svc.embed(['y'.repeat(65)]);
    await turn();
    expect(model.quickLane().holding).toBe(0);
    expect(model.holding).toBe(1); // the long batch; the other two wait their turns behind it
    for (let i = 0; i < 3; i++) {
      model.release();
      await turn();
    }
    await Promise.all([long, job, wide]);
    expect(model.ran).toEqual(expect.arrayContaining([`first:${LONG}`, 'first:short chunk', `first:${'y'.repeat(65)}`]));
    expect(model.quickLane().ran).toEqual([]);
  });

  it('EMBEDDINGS_QUICK_MAX_CHARS=0: one lane, the short query waits for the long batch', async () => {
    const model = new HeldModel();
    const { svc, as } = serviceFor(model, { EMBEDDINGS_QUICK_MAX_CHARS: '0' });
    expect(svc.quick).toBeUndefined();
    as('org-a');
    const long = svc.embed([LONG]);
    as('org-b');
    let answered = false;
    const query = svc.embed(['granite']).then(() => (answered = true));
    await turn();
    expect(answered).toBe(false);
    model.release();
    await long;
    await turn();
    model.release();
    await query;
    expect(model.ran).toEqual([`first:${LONG}`, 'first:granite']);
  });
});
