import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { NoOrg, NoTransaction } from '../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { MarketSearchAnswerDto, PrivateSearchAnswerDto, SearchDto, SearchMode } from './dto/search.dto.js';
import { SearchService } from './search.service.js';
import { embeddingUnits } from '../embeddings/embedding-provider.js';

/**
 * Cost of a search under the search policy (and its embedding_inputs usage): its query is embedded,
 * so it counts as POST /v1/embeddings counts an input, one unit per started 1,000 characters
 * (EMBEDDING_UNIT_CHARS): 1 for most queries, 2 for one of 1,001 to 2,000. A body without a string
 * query counts one: validation refuses it.
 */
export const searchQueryUnits = (req: FastifyRequest): number => {
  const query = (req.body as { query?: unknown } | undefined)?.query;
  return typeof query === 'string' ? embeddingUnits([query]) : 1;
};

@ApiTags('search')
@ApiBearerAuth()
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Post('private')
  @NoTransaction() // the service embeds first, then reads in a short transaction of its own
  @RateLimit(RatePolicy.Search, searchQueryUnits)
  @HttpCode(200)
  @ApiOkResponse({ type: PrivateSearchAnswerDto })
  private(@Body() body: SearchDto): Promise<PrivateSearchAnswerDto> {
    return this.search.searchPrivate(body.query, body.k ?? 10, body.mode ?? SearchMode.Vector);
  }

  @Post('market')
  @NoOrg()
  @NoTransaction() // the service embeds first, then reads in a short transaction of its own
  @RateLimit(RatePolicy.Search, searchQueryUnits)
  @HttpCode(200)
  @ApiOkResponse({ type: MarketSearchAnswerDto })
  market(@Body() body: SearchDto): Promise<MarketSearchAnswerDto> {
    return this.search.searchMarket(body.query, body.k ?? 10, body.mode ?? SearchMode.Vector);
  }
}
