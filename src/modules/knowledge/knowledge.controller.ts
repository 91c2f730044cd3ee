import { Controller, Delete, Get, HttpCode, Param, Query, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { PageQueryDto, type Page } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { KnowledgeItemDetailDto, KnowledgeItemDto, KnowledgeItemPageDto } from './dto/knowledge.dto.js';
import { KnowledgeService } from './knowledge.service.js';

/**
 * Reading and deleting items. Items are created by the intake module's routes on the same path
 * (POST /v1/knowledge, POST /v1/knowledge/upload), which call KnowledgeService.
 */
@ApiTags('knowledge')
@ApiBearerAuth()
@Controller('v1/knowledge')
export class KnowledgeController {
  constructor(private readonly knowledge: KnowledgeService) {}

  @Get()
  @ApiOkResponse({ type: KnowledgeItemPageDto })
  list(@Query() q: PageQueryDto): Promise<Page<KnowledgeItemDto>> {
    return this.knowledge.list(q.limit, q.cursor);
  }

  @Get(':id')
  @ApiOkResponse({ type: KnowledgeItemDetailDto })
  @NoTransaction() // the service opens its own: a large answer waits for its org's slot holding none
  async get(
    @Param('id', UuidPipe) id: string,
    @CurrentTenant() tenant: TenantContext,
  ): Promise<KnowledgeItemDetailDto | StreamableFile> {
    const item = await this.knowledge.get(tenant, id);
    // a large item's JSON, written a slice at a time (the same document)
    return item instanceof Readable ? new StreamableFile(item, { type: 'application/json; charset=utf-8' }) : item;
  }

  @Delete(':id')
  @Roles('member')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its chunks, jobs and market listing' })
  @ApiConflictResponse({ description: 'Published to the market and the caller is not an admin: an admin must unpublish it first' })
  delete(@Param('id', UuidPipe) id: string, @CurrentTenant() actor: TenantContext): Promise<void> {
    return this.knowledge.delete(id, actor);
  }
}
