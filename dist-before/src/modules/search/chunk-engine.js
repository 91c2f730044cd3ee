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
import { Inject, Injectable } from '@nestjs/common';
import { IntakeConfig, ProcessConfig } from '../../config/slices.js';
import { FairPool } from '../../common/fair/fair-pool.js';
import { chunkText } from './chunker.js';
import { encodeVectors, packVectors } from './vector-literal.js';
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './chunk-worker.ts' : './chunk-worker.js', import.meta.url);
/** Texts up to this many characters are chunked in place: a thread hop would cost more than the work. */
export const CHUNK_INLINE_MAX = 16_384;
/** Up to this many vectors are formatted in place (about 60 µs each at 512 dimensions). */
export const VECTORS_INLINE_MAX = 16;
/**
 * Chunking as a shared engine: a long text is segmented on a worker thread (one, below the event
 * loop's priority), orgs served in turn (FairPool), so one org's 10 MB document never holds the
 * event loop that serves every org's requests (a 150-page PDF's text held it 130 ms in one piece).
 * The same thread formats an item's vectors for Postgres (encodeVectors), which scales with the
 * chunks: a 600-chunk item's held the event loop about 40 ms in one piece.
 */
let ChunkEngine = class ChunkEngine {
    constructor(processConfig, intakeConfig) {
        this.pool = new FairPool({
            name: 'chunk',
            filename: WORKER_URL,
            threads: 1,
            // Where jobs run, the thread starts at boot with the parser pools' (PARSE_WARM_THREADS): the
            // first long document's chunking then does not pay the thread's start and module load.
            warm: processConfig.role === 'api' ? 0 : Math.min(1, intakeConfig.parseWarmThreads),
            // job work waits its turn; the processor's slots bound how much of it there is
            maxQueuedPerOrg: 1000,
            timeoutMs: 0,
            nice: processConfig.engineNice,
        });
    }
    chunk(text, opts, who, signal) {
        if (text.length <= CHUNK_INLINE_MAX)
            return Promise.resolve(chunkText(text, opts));
        return this.pool.run(who.key, 'chunk', { text, opts }, { cls: who.cls, signal });
    }
    /** The vectors as replaceChunks sends them (vector-literal.ts), formatted on the thread in `who`'s turn. */
    async encodeVectors(vectors, who, signal) {
        if (vectors.length <= VECTORS_INLINE_MAX)
            return encodeVectors(vectors);
        const { flat, count, dim } = packVectors(vectors);
        const literal = await this.pool.run(who.key, 'vectorsLiteral', { flat, count, dim }, {
            cls: who.cls,
            signal,
            transferList: [flat.buffer],
        });
        return { count, literal };
    }
    onApplicationShutdown() {
        return this.pool.close();
    }
};
ChunkEngine = __decorate([
    Injectable(),
    __param(0, Inject(ProcessConfig)),
    __param(1, Inject(IntakeConfig)),
    __metadata("design:paramtypes", [ProcessConfig, IntakeConfig])
], ChunkEngine);
export { ChunkEngine };
//# sourceMappingURL=chunk-engine.js.map