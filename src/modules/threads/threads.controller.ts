import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, NoTransaction, Roles } from '../../common/decorators/auth.decorators.js';
import type { TenantContext } from '../../tenancy/tenant-context.js';
import { PageQueryDto, type Page } from '../../common/dto/page.dto.js';
import { UuidPipe } from '../../common/pipes/uuid.pipe.js';
import { CreateMessageDto, CreateThreadDto, MessageDto, MessagePageDto, ThreadDto, ThreadPageDto, UpdateThreadDto } from './dto/threads.dto.js';
import { ThreadsService } from './threads.service.js';

@ApiTags('threads')
@ApiBearerAuth()
@Controller('v1/threads')
export class ThreadsController {
  constructor(private readonly threads: ThreadsService) {}

  @Post()
  @Roles('member')
  @ApiOkResponse({ type: ThreadDto })
  create(@Body() body: CreateThreadDto): Promise<ThreadDto> {
    return this.threads.create(body.title);
  }

  @Get()
  @ApiOkResponse({ type: ThreadPageDto })
  list(@Query() q: PageQueryDto): Promise<Page<ThreadDto>> {
    return this.threads.list(q.limit, q.cursor);
  }

  @Get(':id')
  @ApiOkResponse({ type: ThreadDto })
  get(@Param('id', UuidPipe) id: string): Promise<ThreadDto> {
    return this.threads.get(id);
  }

  @Patch(':id')
  @Roles('member')
  @ApiOkResponse({ type: ThreadDto })
  update(@Param('id', UuidPipe) id: string, @Body() body: UpdateThreadDto): Promise<ThreadDto> {
    return this.threads.update(id, body.title);
  }

  @Delete(':id')
  @Roles('member')
  @HttpCode(204)
  delete(@Param('id', UuidPipe) id: string): Promise<void> {
    return this.threads.delete(id);
  }

  @Post(':id/messages')
  @Roles('member')
  @ApiOkResponse({ type: MessageDto })
  addMessage(@Param('id', UuidPipe) id: string, @Body() body: CreateMessageDto): Promise<MessageDto> {
    return this.threads.addMessage(id, body.role, body.content);
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessagePageDto })
  @NoTransaction() // the service opens its own: a page of long messages waits for its org's slot holding none
  async listMessages(
    @Param('id', UuidPipe) id: string,
    @Query() q: PageQueryDto,
    @CurrentTenant() tenant: TenantContext,
  ): Promise<Page<MessageDto> | StreamableFile> {
    const page = await this.threads.listMessages(tenant, id, q.limit, q.cursor);
    // a page of long messages, written a slice at a time (the same document)
    return page instanceof Readable ? new StreamableFile(page, { type: 'application/json; charset=utf-8' }) : page;
  }
}
