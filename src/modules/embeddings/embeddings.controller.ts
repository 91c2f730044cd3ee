import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { CreateEmbeddingsDto, EmbeddingsAnswerDto } from './dto/embeddings.dto.js';
import { EmbeddingsService } from './embeddings.service.js';

/** Cost of a request under the embeddings policy: the number of inputs. */
export const embeddingInputs = (req: FastifyRequest): number => {
  const input = (req.body as { input?: unknown } | undefined)?.input;
  return Array.isArray(input) ? Math.max(1, input.length) : 1;
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
