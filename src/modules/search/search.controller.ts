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
  async private(@Body() body: SearchDto): Promise<PrivateSearchAnswerDto> {
    const mode = body.mode ?? SearchMode.Vector;
    return { data: await this.search.searchPrivate(body.query, body.k ?? 10, mode), mode };
  }

  @Post('market')
  @NoOrg()
  @NoTransaction() // the service embeds first, then reads in a short transaction of its own
  @RateLimit(RatePolicy.Search)
  @HttpCode(200)
  @ApiOkResponse({ type: MarketSearchAnswerDto })
  async market(@Body() body: SearchDto): Promise<MarketSearchAnswerDto> {
    const mode = body.mode ?? SearchMode.Vector;
    return { data: await this.search.searchMarket(body.query, body.k ?? 10, mode), mode };
  }
}
