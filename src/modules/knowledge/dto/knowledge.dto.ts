import { ApiProperty } from '@nestjs/swagger';

export class KnowledgeItemDto {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty({ enum: ['text', 'html', 'url', 'upload'] }) source_kind: string;
  @ApiProperty({ nullable: true }) source_url: string | null;
  @ApiProperty({ enum: ['pending', 'processing', 'ready', 'failed'] }) status: string;
  @ApiProperty({ nullable: true }) error: string | null;
  @ApiProperty({ nullable: true }) mime_type: string | null;
  @ApiProperty({ nullable: true }) file_name: string | null;
  @ApiProperty({ nullable: true }) byte_size: number | null;
  @ApiProperty({ nullable: true }) created_by: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class KnowledgeItemDetailDto extends KnowledgeItemDto {
  @ApiProperty({ nullable: true }) content_text: string | null;
  @ApiProperty({ nullable: true, description: 'sanitised HTML' }) content_html: string | null;
}
