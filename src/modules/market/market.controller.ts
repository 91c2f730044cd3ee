import { Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { NoOrg, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import { PageQueryDto } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { FlagKey } from '../flags/flag-key.js';
import { RequireFlag } from '../flags/require-flag.decorator.js';
import { replyWithCharge } from '../limits/charges.service.js';
import { ListingDto, ListingPageDto } from './dto/market.dto.js';
import { MarketService } from './market.service.js';

@ApiTags('marketplace')
@ApiBearerAuth()
@Controller('v1')
export class MarketController {
  constructor(private readonly market: MarketService) {}

  @Post('knowledge/:id/publish')
  @Roles('admin')
  @NoTransaction() // the service opens its own in the org's turn: a publish waiting for one holds no connection
  @RequireFlag(FlagKey.MarketPublish)
  @ApiOperation({
    summary: 'Publish an embedded knowledge item as a market listing (or refresh its listing)',
    description:
      'Behind the `market_publish` flag (default on): for an org that has it off the route answers 404, ' +
      'like an unknown route. Withdrawing a listing (DELETE /v1/market/listings/{id}) is not gated.',
  })
  @ApiCreatedResponse({ type: ListingDto })
  @ApiNotFoundResponse({
    description: "absent or another org's item, or `market_publish` is off for the org",
  })
  @ApiConflictResponse({ description: 'the item is not embedded yet' })
  @ApiTooManyRequestsResponse({
    description:
      'rate-limited (the `api` policy, or `publish`: the copy is charged 1 per started 100 chunks, nothing written when refused); quota-exceeded (`cap: stored_chunks`): the copy would take the org past its cap of chunks stored in the private and market indexes together; or overloaded: the org has 4 publishes waiting for their turn',
  })
  async publish(@Param('id', UuidPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<ListingDto> {
    const { listing, charged } = await this.market.publish(id);
    replyWithCharge(reply, charged);
    return listing;
  }

  @Get('market/listings')
  @NoOrg()
  @ApiOkResponse({ type: ListingPageDto })
  list(@Query() q: PageQueryDto): Promise<ListingPageDto> {
    return this.market.list(q.limit, q.cursor);
  }

  @Delete('market/listings/:id')
  @Roles('admin')
  @HttpCode(204)
  unpublish(@Param('id', UuidPipe) id: string): Promise<void> {
    return this.market.unpublish(id);
  }
}
