import { describe, expect, it, vi } from 'vitest';
import { SearchService } from './search.service.js';
import { EmbedItemService } from './embed-item.service.js';
import { Charges } from '../limits/charges.service.js';
import { EmbedJobHandler } from './embed.handler.js';
import { JobKind, PermanentJobError, type IngestJobContext } from '../ingest/ingest.types.js';
import { UsageUnit } from '../limits/limits.types.js';
import type { LimitsService } from '../limits/limits.service.js';
import type { UsageService } from '../limits/usage.service.js';
import { ProblemException } from '../../common/filters/problem.js';
import { SearchMode } from './dto/search.dto.js';
import { WorkClass } from '../../common/fair/fair-scheduler.js';
import type { SearchRepository } from './search.repository.js';
import type { EmbeddingsService } from '../embeddings/embeddings.service.js';
import type { TenantTransactions } from '../../tenancy/tenant-context.js';
import type { KnowledgeService } from '../knowledge/knowledge.service.js';
import type { FlagsService } from '../flags/flags.service.js';
import type { SearchConfig } from '../../config/slices.js';
import { FlagKey } from '../flags/flag-key.js';
import { encodeVectors } from './vector-literal.js';
import { createHash } from 'node:crypto';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const row = (id: string, score: number) => ({
  id,
  knowledge_item_id: 'item',
  chunk_index: 0,
  content: id,
  score,
});

describe(SearchService.name, () => {
  const setup = () => {
    const repo = {
      matchPrivate: vi.fn().mockResolvedValue([row('a', 0.9), row('b', 0.8), row('c', 0.7)]),
      textPrivate: vi.fn().mockResolvedValue([row('c', 3), row('d', 2)]),
      matchMarket: vi.fn(),
      textMarket: vi.fn(),
    };
    const events: string[] = [];
    let inTx = false;
    const embeddings = {
      embed: vi.fn(async () => (events.push(`embed in tx=${inTx}`), { vectors: [[0.1, 0.2]], tokens: 2 })),
    };
    const tenants = {
      current: () => ({ orgId: 'org', userId: 'user' }),
      run: vi.fn(async (_ctx: unknown, fn: () => Promise<unknown>) => {
        inTx = true;
        try {
          return await fn();
        } finally {
          inTx = false;
        }
      }),
    };
    repo.matchPrivate.mockImplementation(
      async () => (events.push(`match in tx=${inTx}`), [row('a', 0.9), row('b', 0.8), row('c', 0.7)]),
    );
    const flags = { isEnabled: vi.fn(async () => true) };
    const sut = new SearchService(
      repo as unknown as SearchRepository,
      embeddings as unknown as EmbeddingsService,
      tenants as unknown as TenantTransactions,
      flags as unknown as FlagsService,
      { textTimeoutMs: 250, textConcurrency: 1, textBudgetMs: 100 } as SearchConfig,
    );
    return { sut, repo, embeddings, tenants, flags, events };
  };

  it('embeds the query before the tenant transaction opens: no connection is held while the model runs', async () => {
    const { sut, tenants, events } = setup();
    await sut.searchPrivate('q', 3, SearchMode.Vector);
    expect(events).toEqual(['embed in tx=false', 'match in tx=true']);
    expect(tenants.run).toHaveBeenCalledTimes(1);
  });

  it('vector mode: one query embedding, k rows from the match function, similarity as score', async () => {
    const { sut, repo, embeddings } = setup();
    const { data: hits, mode } = await sut.searchPrivate('q', 3, SearchMode.Vector);
    expect(mode).toBe(SearchMode.Vector);
    expect(embeddings.embed).toHaveBeenCalledWith(['q']);
    expect(repo.matchPrivate).toHaveBeenCalledWith([0.1, 0.2], 3);
    expect(repo.textPrivate).not.toHaveBeenCalled();
    expect(hits.map((h) => [h.chunk_id, h.score])).toEqual([
      ['a', 0.9],
      ['b', 0.8],
      ['c', 0.7],
    ]);
  });

  it('hybrid mode: fuses both lists by reciprocal rank and keeps k', async () => {
    const { sut, repo, flags } = setup();
    const { data: hits, mode } = await sut.searchPrivate('q', 2, SearchMode.Hybrid);
    expect(mode).toBe(SearchMode.Hybrid);
    expect(flags.isEnabled).toHaveBeenCalledWith({ orgId: 'org', userId: 'user' }, FlagKey.HybridSearch);
    expect(repo.matchPrivate).toHaveBeenCalledWith([0.1, 0.2], 20);
    expect(repo.textPrivate).toHaveBeenCalledWith('q', 20);
    expect(hits.map((h) => h.chunk_id)).toEqual(['c', 'a']); // c: 1/63 + 1/61 beats a: 1/61
    expect(hits[0].score).toBeCloseTo(1 / 63 + 1 / 61, 10);
  });

  it('hybrid whose text half ran out of time: the vector half alone, best k by similarity, mode vector', async () => {
    const { sut, repo, tenants } = setup();
    repo.textPrivate.mockRejectedValue(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));
    const answer = await sut.searchPrivate('q', 2, SearchMode.Hybrid);
    expect(tenants.run).toHaveBeenCalledTimes(2); // the text half in a transaction of its own
    expect(answer.mode).toBe(SearchMode.Vector);
    expect(answer.data.map((h) => [h.chunk_id, h.score])).toEqual([
      ['a', 0.9],
      ['b', 0.8],
    ]);
  });

  it("hybrid past the org's share of text time (SEARCH_TEXT_BUDGET_MS a second): the vector half alone, the text half not run; another org's unaffected", async () => {
    const { sut, repo, tenants } = setup();
    let t = 1_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => t);
    try {
      repo.textPrivate.mockImplementation(async () => ((t += 150), [row('c', 3)])); // 150 ms of a 100 ms/s budget
      expect((await sut.searchPrivate('q', 3, SearchMode.Hybrid)).mode).toBe(SearchMode.Hybrid);
      expect((await sut.searchPrivate('q', 3, SearchMode.Hybrid)).mode).toBe(SearchMode.Vector);
      expect(repo.textPrivate).toHaveBeenCalledTimes(1);
      tenants.current = () => ({ orgId: 'other', userId: 'user' });
      expect((await sut.searchPrivate('q', 3, SearchMode.Hybrid)).mode).toBe(SearchMode.Hybrid);
      tenants.current = () => ({ orgId: 'org', userId: 'user' });
      t += 600; // 50 ms in debt, refilled at 100 ms a second
      expect((await sut.searchPrivate('q', 3, SearchMode.Hybrid)).mode).toBe(SearchMode.Hybrid);
      expect(repo.textPrivate).toHaveBeenCalledTimes(3);
    } finally {
      clock.mockRestore();
    }
  });

  it('hybrid: any other error of the text half is the answer', async () => {
    const { sut, repo } = setup();
    repo.textPrivate.mockRejectedValue(Object.assign(new Error('boom'), { code: '42P01' }));
    await expect(sut.searchPrivate('q', 2, SearchMode.Hybrid)).rejects.toThrow('boom');
  });

  it('hybrid asked for with hybrid_search off for the org: runs and answers in vector mode', async () => {
    const { sut, repo, flags } = setup();
    flags.isEnabled.mockResolvedValue(false);
    const answer = await sut.searchPrivate('q', 3, SearchMode.Hybrid);
    expect(answer.mode).toBe(SearchMode.Vector);
    expect(repo.matchPrivate).toHaveBeenCalledWith([0.1, 0.2], 3);
    expect(repo.textPrivate).not.toHaveBeenCalled();
    expect(answer.data.map((h) => h.score)).toEqual([0.9, 0.8, 0.7]);
  });

  it('vector mode never consults the flag', async () => {
    const { sut, flags } = setup();
    await sut.searchPrivate('q', 3, SearchMode.Vector);
    expect(flags.isEnabled).not.toHaveBeenCalled();
  });
});

describe(EmbedItemService.name, () => {
  const setup = (text: string | null) => {
    const items = {
      findText: vi.fn().mockResolvedValue(text === null ? undefined : { text, digest: md5(text) }),
      lockTextDigest: vi.fn().mockResolvedValue(text === null ? undefined : md5(text)),
      setStatus: vi.fn(),
    };
    const chunks = { replaceChunks: vi.fn() };
    const provider = {
      embed: vi.fn(async (t: string[]) => ({ vectors: t.map((_, i) => [i]), tokens: t.length })),
    };
    const sut = new EmbedItemService(
      items as unknown as KnowledgeService,
      chunks as unknown as SearchRepository,
      provider as unknown as EmbeddingsService,
    );
    return { sut, items, chunks, provider };
  };

  it('chunks, embeds in one provider call, replaces the chunks and marks the item ready', async () => {
    const { sut, items, chunks, provider } = setup('One. Two. Three.');
    await expect(sut.embedItem('id', { maxChars: 6, overlapChars: 0 })).resolves.toEqual({
      status: 'ready',
      chunks: 3,
    });
    expect(provider.embed).toHaveBeenCalledTimes(1);
    expect(chunks.replaceChunks).toHaveBeenCalledWith('id', ['One.', 'Two.', 'Three.'], encodeVectors([[0], [1], [2]]));
    expect(items.setStatus).toHaveBeenCalledWith('id', 'ready');
  });

  it('no text: chunks cleared, item failed, provider never called; a missing item does nothing', async () => {
    const empty = setup('   ');
    await expect(empty.sut.embedItem('id')).resolves.toMatchObject({ status: 'failed' });
    expect(empty.provider.embed).not.toHaveBeenCalled();
    expect(empty.chunks.replaceChunks).toHaveBeenCalledWith('id', [], encodeVectors([]));
    expect(empty.items.setStatus).toHaveBeenCalledWith('id', 'failed', expect.any(String));
    const missing = setup(null);
    await expect(missing.sut.embedItem('id')).resolves.toEqual({ status: 'missing' });
    expect(missing.chunks.replaceChunks).not.toHaveBeenCalled();
    expect(missing.items.setStatus).not.toHaveBeenCalled();
  });

  it('a provider failure propagates (the job retries) and nothing is written', async () => {
    const { sut, provider, chunks, items } = setup('Some text.');
    provider.embed.mockRejectedValueOnce(new Error('down'));
    await expect(sut.embedItem('id')).rejects.toThrow('down');
    expect(chunks.replaceChunks).not.toHaveBeenCalled();
    expect(items.setStatus).not.toHaveBeenCalled();
  });

  it('text changed between plan and write (the model ran outside the transaction): the current text is embedded', async () => {
    const { sut, items, chunks, provider } = setup('Old.');
    const plan = (await sut.plan('id'))!;
    const vectors = await sut.vectors(plan);
    items.lockTextDigest.mockResolvedValueOnce(md5('New. Newer.'));
    items.findText.mockResolvedValueOnce({ text: 'New. Newer.', digest: md5('New. Newer.') });
    await expect(sut.write(plan, vectors)).resolves.toEqual({ status: 'ready', chunks: 1 });
    expect(provider.embed).toHaveBeenLastCalledWith(
      ['New. Newer.'],
      expect.objectContaining({ cls: WorkClass.Job }),
    );
    expect(chunks.replaceChunks).toHaveBeenCalledTimes(1);
    expect(chunks.replaceChunks).toHaveBeenCalledWith('id', ['New. Newer.'], encodeVectors([[0]]));
  });

  it('the item deleted before the write: nothing is written', async () => {
    const { sut, items, chunks } = setup('Text.');
    const plan = (await sut.plan('id'))!;
    items.lockTextDigest.mockResolvedValueOnce(undefined);
    await expect(sut.write(plan, await sut.vectors(plan))).resolves.toEqual({ status: 'missing' });
    expect(chunks.replaceChunks).not.toHaveBeenCalled();
  });
});

describe(EmbedJobHandler.name, () => {
  const usage = { assertWithinQuota: vi.fn(async () => undefined), record: vi.fn(async () => undefined) };
  const capOf = (storedChunks: number) =>
    ({ forTenant: vi.fn(async () => ({ caps: { stored_chunks: storedChunks, queued_jobs: 10 } })) }) as unknown as LimitsService;
  /** The handler over these doubles: the item's text, the chunk store and the model; the org's cap of stored chunks and the chunks one item may make. */
  const handlerOf = (
    items: unknown,
    chunks: unknown,
    provider: unknown,
    opts: { usage?: unknown; cap?: number; itemMaxChunks?: number } = {},
  ) =>
    new EmbedJobHandler(
      new EmbedItemService(items as KnowledgeService, chunks as SearchRepository, provider as EmbeddingsService),
      (opts.usage ?? usage) as UsageService,
      capOf(opts.cap ?? 100),
      { itemMaxChunks: opts.itemMaxChunks ?? 2000 } as SearchConfig,
      { debit: async () => undefined, chargeJobUpTo: (_ctx: unknown, _work: string, units: number, spend: (more: number, before: number) => Promise<unknown>) => spend(units, 0) } as unknown as Charges,
    );
  const embedJob = (db: IngestJobContext['db']): IngestJobContext<JobKind.Embed> => ({
    jobId: 'j',
    work: 'j',
    orgId: 'o',
    kind: JobKind.Embed,
    knowledgeItemId: 'item',
    payload: { knowledge_item_id: 'item' },
    attempt: 1,
    requestId: null,
    signal: new AbortController().signal,
    db,
  });

  it('reads in job.db, runs the model outside it, and writes only in the returned step', async () => {
    const events: string[] = [];
    let inDb = false;
    const items = {
      findText: vi.fn(async () => (events.push(`read in db=${inDb}`), { text: 'Hello there.', digest: md5('Hello there.') })),
      lockTextDigest: vi.fn(async () => md5('Hello there.')),
      setStatus: vi.fn(async () => void events.push('status')),
    };
    const chunks = {
      replaceChunks: vi.fn(async () => void events.push('chunks')),
      countChunksBesides: vi.fn(async () => 0),
    };
    const provider = {
      embed: vi.fn(
        async (t: string[]) => (events.push(`model in db=${inDb}`), { vectors: t.map(() => [1]), tokens: 1 }),
      ),
    };
    const handler = handlerOf(items, chunks, provider);
    const commit = await handler.handle(
      embedJob(async (fn) => {
        inDb = true;
        try {
          return await fn();
        } finally {
          inDb = false;
        }
      }),
    );
    expect(events).toEqual(['read in db=true', 'model in db=false']);
    expect(commit).toBeTypeOf('function');
    await commit!();
    expect(events).toEqual(['read in db=true', 'model in db=false', 'chunks', 'status']);
    expect(usage.assertWithinQuota).toHaveBeenCalledWith(
      expect.objectContaining({ orgId: 'o' }),
      UsageUnit.EmbeddingInputs,
      1,
    );
    expect(usage.record).toHaveBeenCalledWith('o', UsageUnit.EmbeddingInputs, 1); // metered once written
  });

  it('over the org’s monthly embedding quota: the job fails for good before the model runs, nothing metered', async () => {
    const provider = { embed: vi.fn() };
    const refusing = {
      assertWithinQuota: vi.fn(async () => {
        throw new ProblemException(429, 'quota-exceeded', 'used up');
      }),
      record: vi.fn(),
    };
    const handler = handlerOf(
      { findText: vi.fn(async () => ({ text: 'Some text.', digest: md5('Some text.') })) },
      { countChunksBesides: vi.fn(async () => 0) },
      provider,
      { usage: refusing },
    );
    await expect(handler.handle(embedJob((fn) => fn()))).rejects.toThrow(/quota-exceeded/);
    await expect(handler.handle(embedJob((fn) => fn()))).rejects.toBeInstanceOf(PermanentJobError);
    expect(provider.embed).not.toHaveBeenCalled();
    expect(refusing.record).not.toHaveBeenCalled();
  });

  it('an item deleted before the job ran: no model run, nothing to write', async () => {
    const provider = { embed: vi.fn() };
    const handler = handlerOf({ findText: vi.fn(async () => undefined) }, {}, provider);
    await expect(handler.handle(embedJob((fn) => fn()))).resolves.toBeUndefined();
    expect(provider.embed).not.toHaveBeenCalled();
  });

  it('past the org’s cap of stored chunks: the job fails for good (quota-exceeded) before the model runs', async () => {
    const provider = { embed: vi.fn() };
    const countChunksBesides = vi.fn(async () => 4);
    const handler = handlerOf(
      { findText: vi.fn(async () => ({ text: 'One sentence here.', digest: md5('One sentence here.') })) },
      { countChunksBesides },
      provider,
      { cap: 4 },
    );
    const run = handler.handle(embedJob((fn) => fn()));
    await expect(run).rejects.toBeInstanceOf(PermanentJobError);
    await expect(run).rejects.toThrow(/^quota-exceeded: .*cap of 4 stored chunks \(4 stored\)/);
    expect(countChunksBesides).toHaveBeenCalledWith('item', 4);
    expect(provider.embed).not.toHaveBeenCalled();
  });

  it('an item whose text makes more than SEARCH_ITEM_MAX_CHUNKS chunks: the job fails for good (too-long) before the model runs', async () => {
    const provider = { embed: vi.fn() };
    const text = 'A sentence of some length here. '.repeat(100); // 3,200 characters: more than 2 chunks of 1,000
    const handler = handlerOf(
      { findText: vi.fn(async () => ({ text, digest: md5(text) })) },
      { countChunksBesides: vi.fn(async () => 0) },
      provider,
      { itemMaxChunks: 2 },
    );
    const run = handler.handle(embedJob((fn) => fn()));
    await expect(run).rejects.toBeInstanceOf(PermanentJobError);
    await expect(run).rejects.toThrow(/^too-long: this item's text makes \d+ chunks, more than the 2 one item may be indexed as/);
    expect(provider.embed).not.toHaveBeenCalled();
  });
});
