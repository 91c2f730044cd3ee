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
var EmbeddingsModule_1;
import { Global, Inject, Logger, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EmbeddingsConfig, ProcessConfig } from '../../config/slices.js';
import { EmbeddingProvider } from './embedding-provider.js';
import { LocalEmbeddingProvider } from './local-embedding.provider.js';
import { OpenAiEmbeddingProvider } from './openai-embedding.provider.js';
import { EmbeddingsController } from './embeddings.controller.js';
import { EmbeddingsService } from './embeddings.service.js';
export function createEmbeddingProvider(config, engineNice = 0) {
    if (config.provider === 'openai') {
        return new OpenAiEmbeddingProvider({
            baseUrl: config.baseUrl,
            apiKey: config.apiKey,
            model: config.model,
            dimension: config.dim,
            batchSize: config.batchSize,
            timeoutMs: config.timeoutMs,
        });
    }
    return new LocalEmbeddingProvider(config.batchSize, config.timeoutMs, engineNice);
}
export class EmbeddingDimensionError extends Error {
}
/** The vector columns the provider writes into; their dimension is read from the catalog at boot. */
const VECTOR_COLUMNS = ['private_chunks', 'market_chunks'];
/** The embedding provider (one per process, model loaded once) and POST /v1/embeddings. */
let EmbeddingsModule = EmbeddingsModule_1 = class EmbeddingsModule {
    constructor(provider, ds) {
        this.provider = provider;
        this.ds = ds;
    }
    /** A model whose dimension differs from the columns would fail on every write: refuse to boot. */
    async onModuleInit() {
        // A catalog read (no tenant data): the column type modifier of vector(n) is n.
        const rows = await this.ds.query(`SELECT c.relname AS table, a.atttypmod AS dim FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace AND a.attname = 'embedding' AND NOT a.attisdropped`, [VECTOR_COLUMNS]);
        for (const r of rows) {
            if (r.dim !== this.provider.dimension) {
                throw new EmbeddingDimensionError(`embedding dimension mismatch: provider "${this.provider.kind}" model "${this.provider.model}" gives ` +
                    `${this.provider.dimension} dimensions (EMBEDDINGS_DIM) but ${r.table}.embedding is vector(${r.dim}). ` +
                    `Use a model of ${r.dim} dimensions, or migrate the columns (and re-embed) to vector(${this.provider.dimension}).`);
            }
        }
        if (rows.length)
            new Logger(EmbeddingsModule_1.name).log(`embeddings: ${this.provider.kind} ${this.provider.model} (${this.provider.dimension}-d)`);
    }
    async onApplicationShutdown() {
        if (this.provider instanceof LocalEmbeddingProvider)
            await this.provider.close();
    }
};
EmbeddingsModule = EmbeddingsModule_1 = __decorate([
    Global(),
    Module({
        controllers: [EmbeddingsController],
        providers: [{
                provide: EmbeddingProvider,
                inject: [EmbeddingsConfig, ProcessConfig],
                useFactory: (config, proc) => createEmbeddingProvider(config, proc.engineNice),
            }, EmbeddingsService],
        exports: [EmbeddingProvider, EmbeddingsService],
    }),
    __param(0, Inject(EmbeddingProvider)),
    __param(1, Inject(DataSource)),
    __metadata("design:paramtypes", [EmbeddingProvider,
        DataSource])
], EmbeddingsModule);
export { EmbeddingsModule };
//# sourceMappingURL=embeddings.module.js.map