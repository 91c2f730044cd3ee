import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../../common/decorators/auth.decorators.js';
import { RateLimit, RatePolicy } from '../../../common/decorators/rate-limit.decorator.js';
import { CrawlAcceptedDto, CrawlRequestDto } from '../dto/intake.dto.js';
import { IntakeService } from '../intake.service.js';

@ApiTags('crawl')
@ApiBearerAuth()
@Controller('v1/crawl')
export class CrawlController {
  constructor(private readonly intake: IntakeService) {}

  /** 202 with the crawl job; 422 `ssrf-blocked` when the URL can be refused at once. */
  @Post()
  @Roles('member')
  @HttpCode(202)
  @RateLimit(RatePolicy.Crawl, 1)
  @ApiAcceptedResponse({ type: CrawlAcceptedDto })
  async submit(@Body() body: CrawlRequestDto): Promise<CrawlAcceptedDto> {
    const { item, job } = await this.intake.submitUrl(body.url, body.title);
    return { job_id: job.id, knowledge_item_id: item.id };
  }
}
