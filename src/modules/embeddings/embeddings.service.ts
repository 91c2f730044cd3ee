import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '../../common/filters/problem.js';
import { EmbeddingProvider, EmbeddingProviderError, type EmbeddingResult } from './embedding-provider.js';
import type { CreateEmbeddingsDto, EmbeddingsAnswerDto } from './dto/embeddings.dto.js';

/** Embeds for the API and the other features; maps a provider failure to 503 problem+json. */
@Injectable()
export class EmbeddingsService {
  constructor(@Inject(EmbeddingProvider) private readonly provider: EmbeddingProvider) {}

  get dimension(): number {
    return this.provider.dimension;
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    try {
      return await this.provider.embed(texts);
    } catch (e) {
      if (e instanceof EmbeddingProviderError) {
        throw new ProblemException(503, 'unavailable', `embedding model unavailable: ${e.message}`, {}, { 'Retry-After': '5' });
      }
      throw e;
    }
  }

  /** POST /v1/embeddings: the OpenAI answer shape. */
  async create(body: CreateEmbeddingsDto): Promise<EmbeddingsAnswerDto> {
    if (body.dimensions !== undefined && body.dimensions !== this.provider.dimension) {
      throw new ProblemException(400, 'validation', 'the request is invalid', {
        errors: { dimensions: [`this deployment's model gives ${this.provider.dimension} dimensions`] },
      });
    }
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const { vectors, tokens } = await this.embed(inputs);
    const base64 = body.encoding_format === 'base64';
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding' as const,
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      })),
      model: this.provider.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
}
