import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { CreateEmbeddingsDto, EmbeddingsAnswerDto } from './dto/embeddings.dto.js';
import { EmbeddingsService } from './embeddings.service.js';
import { embeddingUnits } from './embedding-provider.js';

/**
 * Cost of a request under the embeddings policy (and its embedding_inputs usage): one unit per
 * started 1,000 characters of each input (EMBEDDING_UNIT_CHARS), at least one per input. A body
 * that is not a valid input counts one: validation refuses it.
 */
export const embeddingInputs = (req: FastifyRequest): number => {
  const input = (req.body as { input?: unknown } | undefined)?.input;
  const texts = (Array.isArray(input) ? input : [input]).filter((t): t is string => typeof t === 'string');
  return Math.max(1, Array.isArray(input) ? input.length : 1, embeddingUnits(texts));
};

@ApiTags('embeddings')
@ApiBearerAuth()
@Controller('v1/embeddings')
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post()
  @HttpCode(200)
  @RateLimit(RatePolicy.Embeddings, embeddingInputs)
  @ApiOkResponse({ type: EmbeddingsAnswerDto })
  create(@Body() body: CreateEmbeddingsDto): Promise<EmbeddingsAnswerDto> {
    return this.embeddings.create(body);
  }
}
