import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoTransaction } from '../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { clientGone } from '../../common/filters/problem.js';
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
  // No database work: a request must not hold a pooled connection while the model runs its batches.
  @NoTransaction()
  @ApiOkResponse({ type: EmbeddingsAnswerDto })
  async create(
    @Body() body: CreateEmbeddingsDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EmbeddingsAnswerDto> {
    // A client gone: its batches still waiting for the model are dropped (one running ends first).
    const gone = new AbortController();
    const onClose = () => gone.abort(clientGone()); // removed before the answer is written
    reply.raw.once('close', onClose);
    try {
      return await this.embeddings.create(body, gone.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}
