import { Global, Inject, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EmbeddingsConfig, ProcessConfig } from '../../config/slices.js';
import { EmbeddingProvider } from './embedding-provider.js';
import { LocalEmbeddingProvider } from './local-embedding.provider.js';
import { OpenAiEmbeddingProvider } from './openai-embedding.provider.js';
import { EmbeddingsController } from './embeddings.controller.js';
import { EmbeddingsService } from './embeddings.service.js';

export function createEmbeddingProvider(config: EmbeddingsConfig, engineNice = 0): EmbeddingProvider {
  if (config.provider === 'openai') {
    return new OpenAiEmbeddingProvider({
      baseUrl: config.baseUrl!,
      apiKey: config.apiKey,
      model: config.model!,
      dimension: config.dim,
      batchSize: config.batchSize,
      timeoutMs: config.timeoutMs,
    });
  }
  return new LocalEmbeddingProvider(config.batchSize, config.timeoutMs, engineNice);
}

export class EmbeddingDimensionError extends Error {}

/** The vector columns the provider writes into; their dimension is read from the catalog at boot. */
const VECTOR_COLUMNS = ['private_chunks', 'market_chunks'];

/** The embedding provider (one per process, model loaded once) and POST /v1/embeddings. */
@Global()
@Module({
  controllers: [EmbeddingsController],
  providers: [{
      provide: EmbeddingProvider,
      inject: [EmbeddingsConfig, ProcessConfig],
      useFactory: (config: EmbeddingsConfig, proc: ProcessConfig) => createEmbeddingProvider(config, proc.engineNice),
    }, EmbeddingsService],
  exports: [EmbeddingProvider, EmbeddingsService],
})
export class EmbeddingsModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(EmbeddingProvider) private readonly provider: EmbeddingProvider,
    @Inject(DataSource) private readonly ds: DataSource,
  ) {}

  /** A model whose dimension differs from the columns would fail on every write: refuse to boot. */
  async onModuleInit(): Promise<void> {
    // A catalog read (no tenant data): the column type modifier of vector(n) is n.
    const rows: { table: string; dim: number }[] = await this.ds.query(
      `SELECT c.relname AS table, a.atttypmod AS dim FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace AND a.attname = 'embedding' AND NOT a.attisdropped`,
      [VECTOR_COLUMNS],
    );
    for (const r of rows) {
      if (r.dim !== this.provider.dimension) {
        throw new EmbeddingDimensionError(
          `embedding dimension mismatch: provider "${this.provider.kind}" model "${this.provider.model}" gives ` +
            `${this.provider.dimension} dimensions (EMBEDDINGS_DIM) but ${r.table}.embedding is vector(${r.dim}). ` +
            `Use a model of ${r.dim} dimensions, or migrate the columns (and re-embed) to vector(${this.provider.dimension}).`,
        );
      }
    }
    if (rows.length) new Logger(EmbeddingsModule.name).log(`embeddings: ${this.provider.kind} ${this.provider.model} (${this.provider.dimension}-d)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider.close(); // the quick lane's thread with it
  }
}
