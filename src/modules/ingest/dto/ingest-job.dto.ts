import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../../common/dto/page.dto.js';
import { JobKind, JobPriorityClass, JobStatus } from '../ingest.types.js';

export class ListJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JobStatus })
  @IsOptional() @IsEnum(JobStatus)
  status?: JobStatus;

  @ApiPropertyOptional({ enum: JobKind })
  @IsOptional() @IsEnum(JobKind)
  kind?: JobKind;
}

export class IngestJobDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: JobKind }) kind: JobKind;
  @ApiProperty({ enum: JobStatus }) status: JobStatus;
  @ApiProperty({ enum: JobPriorityClass }) priority_class: JobPriorityClass;
  @ApiProperty({ nullable: true, type: String }) knowledge_item_id: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload: Record<string, unknown>;
  @ApiProperty({ description: 'attempts started so far (a re-run after a worker crash counts)' }) attempts: number;
  @ApiProperty() max_attempts: number;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty({ nullable: true, description: 'X-Request-Id of the request that enqueued it' }) request_id: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty({ description: 'when it last became queued (creation or retry)' }) queued_at: string;
  @ApiProperty({ nullable: true, type: String }) started_at: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
}

export class IngestJobPageDto {
  @ApiProperty({ type: [IngestJobDto] }) data: IngestJobDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
