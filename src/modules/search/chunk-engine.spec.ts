import { afterEach, describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import { WorkClass } from '../../common/fair/fair-scheduler.js';
import type { IntakeConfig, ProcessConfig } from '../../config/slices.js';
import { CHUNK_INLINE_MAX, ChunkEngine, VECTORS_INLINE_MAX } from './chunk-engine.js';
import { encodeVectors } from './vector-literal.js';
import { chunkText, DEFAULT_CHUNK_OPTIONS } from './chunker.js';

const job = { key: 'org-a', cls: WorkClass.Job };

describe(ChunkEngine.name, () => {
  let sut: ChunkEngine;
  afterEach(() => sut.onApplicationShutdown());

  it('chunks a long text on its worker thread, to exactly the chunks of chunkText, while the event loop keeps turning', async () => {
    sut = new ChunkEngine({ engineNice: 0, role: 'all' } as ProcessConfig, { parseWarmThreads: 0 } as IntakeConfig);
    const text = Array.from({ length: 6000 }, (_, i) => `Line ${i} of a long report. It says little.`).join('\n\n');
    expect(text.length).toBeGreaterThan(CHUNK_INLINE_MAX);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    const chunks = await sut.chunk(text, DEFAULT_CHUNK_OPTIONS, job);
    const ms = performance.now() - t0;
    clearInterval(timer);
    expect(chunks).toEqual(chunkText(text, DEFAULT_CHUNK_OPTIONS));
    expect(sut.pool.threads).toBe(1); // it ran on the pool, not here
    expect(threadId).toBe(0);
    // the loop turned through the work: at least one tick per 20 ms of it
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(ms / 20));
  });

  it("formats a long list of vectors on its worker thread, to exactly the in-place bytes", async () => {
    sut = new ChunkEngine({ engineNice: 0, role: 'all' } as ProcessConfig, { parseWarmThreads: 0 } as IntakeConfig);
    const vectors = Array.from({ length: 600 }, (_, i) => Array.from({ length: 512 }, (_, j) => Math.fround(Math.sin(i * 512 + j))));
    const encoded = await sut.encodeVectors(vectors, job);
    expect(sut.pool.threads).toBe(1); // it ran on the pool, not here
    expect(encoded).toEqual(encodeVectors(vectors));
    // a few vectors are formatted in place
    const few = vectors.slice(0, VECTORS_INLINE_MAX);
    const other = new ChunkEngine({ engineNice: 0, role: 'all' } as ProcessConfig, { parseWarmThreads: 0 } as IntakeConfig);
    await expect(other.encodeVectors(few, job)).resolves.toEqual(encodeVectors(few));
    expect(other.pool.threads).toBe(0);
    await other.onApplicationShutdown();
  });

  it('chunks a short text in place (no thread)', async () => {
    sut = new ChunkEngine({ engineNice: 0, role: 'all' } as ProcessConfig, { parseWarmThreads: 0 } as IntakeConfig);
    await expect(sut.chunk('One sentence. Two.', DEFAULT_CHUNK_OPTIONS, job)).resolves.toEqual(['One sentence. Two.']);
    expect(sut.pool.threads).toBe(0);
  });
});
