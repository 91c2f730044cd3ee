import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { NoOrg, Roles } from '../../common/decorators/auth.decorators.js';
import { PageQueryDto } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { ListingDto, ListingPageDto } from './dto/market.dto.js';
import { MarketService } from './market.service.js';

@ApiTags('marketplace')
@ApiBearerAuth()
@Controller('v1')
export class MarketController {
  constructor(private readonly market: MarketService) {}

  @Post('knowledge/:id/publish')
  @Roles('admin')
  @ApiCreatedResponse({ type: ListingDto })
  publish(@Param('id', UuidPipe) id: string): Promise<ListingDto> {
    return this.market.publish(id);
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
