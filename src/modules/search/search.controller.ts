import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoOrg, NoTransaction } from '../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../common/decorators/rate-limit.decorator.js';
import { MarketSearchAnswerDto, PrivateSearchAnswerDto, SearchDto, SearchMode } from './dto/search.dto.js';
import { SearchService } from './search.service.js';

@ApiTags('search')
@ApiBearerAuth()
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Post('private')
  @NoTransaction() // the service embeds first, then reads in a short transaction of its own
  @RateLimit(RatePolicy.Search)
  @HttpCode(200)
  @ApiOkResponse({ type: PrivateSearchAnswerDto })
  private(@Body() body: SearchDto): Promise<PrivateSearchAnswerDto> {
    return this.search.searchPrivate(body.query, body.k ?? 10, body.mode ?? SearchMode.Vector);
  }

  @Post('market')
  @NoOrg()
  @NoTransaction() // the service embeds first, then reads in a short transaction of its own
  @RateLimit(RatePolicy.Search)
  @HttpCode(200)
  @ApiOkResponse({ type: MarketSearchAnswerDto })
  market(@Body() body: SearchDto): Promise<MarketSearchAnswerDto> {
    return this.search.searchMarket(body.query, body.k ?? 10, body.mode ?? SearchMode.Vector);
  }
}
